-- Pipelined load for wrk: each write carries DEPTH requests (default 16).
--
-- Owns only the request buffer: DEPTH copies of the GET that wrk would send
-- for the URL given on the command line, concatenated. wrk counts the
-- requests in the buffer and waits for that many responses before writing
-- again (HTTP/1.1 pipelining, RFC 9112 section 9.3.2), so req/s counts
-- responses, exactly as in the keep-alive run.
-- Usage: wrk -s bench/pipeline.lua http://127.0.0.1:PORT/ -- 16

local depth = 16

init = function(args)
  if args[1] ~= nil then depth = tonumber(args[1]) end
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format(nil, nil)
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
