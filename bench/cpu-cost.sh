#!/bin/bash
# Server CPU time per request: less noisy than req/s on a shared 2-core machine.
# Starts a server (pinned to cpu 0), loads it with wrk (cpu 1) for 4 s keep-alive, then
# 4 s pipelined x16, and prints req/s and server CPU microseconds (utime+stime from
# /proc) per request. Loopback only; bounded; kills the server at the end.
# usage: bench/cpu-cost.sh PORT CMD...   e.g. bench/cpu-cost.sh 8821 node dist/cli/main.js hello
#        BPATH=/users/42 bench/cpu-cost.sh 8822 node bench/peers/keel-app.mjs
port=$1; shift
taskset -c 0 "$@" --port $port >/dev/null 2>&1 &
pid=$!
sleep 1.2
spid=$(pgrep -f -- "--port $port" | head -1)
# /proc/PID/stat times are in clock ticks (USER_HZ = 100 on Linux): ticks * 10000 / requests = us per request.
for mode in ka pipe; do
  t0=$(awk '{print $14+$15}' /proc/$spid/stat)
  if [ $mode = ka ]; then out=$(taskset -c 1 wrk -t1 -c64 -d4s http://127.0.0.1:$port${BPATH:-/}); else out=$(taskset -c 1 wrk -t1 -c64 -d4s -s "$(dirname "$0")/pipeline.lua" http://127.0.0.1:$port${BPATH:-/} -- 16); fi
  t1=$(awk '{print $14+$15}' /proc/$spid/stat)
  reqs=$(echo "$out" | grep "requests in" | awk '{print $1}')
  rps=$(echo "$out" | grep "Requests/sec" | awk '{print $2}')
  python3 -c "print('$mode', 'req/s=%s'%'$rps', 'cpu_us_per_req=%.2f' % (($t1-$t0)*10000/$reqs))"
done
kill $spid 2>/dev/null; wait 2>/dev/null
