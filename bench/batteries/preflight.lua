-- CORS preflights for wrk: every request is an OPTIONS (the Origin,
-- Access-Control-Request-Method and -Headers fields come from wrk's -H flags).
--
-- Owns only the method; bench/batteries/run.mjs passes this file with -s.
-- Usage: wrk -s bench/batteries/preflight.lua -H 'Origin: ...' -H 'Access-Control-Request-Method: PUT' URL

wrk.method = "OPTIONS"
