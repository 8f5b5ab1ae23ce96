#!/usr/bin/env bash
# Shared by the benchmark scripts: build, start Inferis and redis-server on ports, and stop every server started here
# on exit (by pid). A script that needs more on exit traps `stop_servers; ...` itself.
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

server_pids=()
stop_servers() { # stops every server started so far and waits for each
  local pid
  for pid in "${server_pids[@]}"; do
    # only a child of this script: a pid already waited for may since have gone to another process
    if [ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
trap stop_servers EXIT

build_inferis() { # bench/report.sh builds once and sets INFERIS_SKIP_BUILD for the scripts it runs
  [ -n "${INFERIS_SKIP_BUILD:-}" ] || (cd "$home" && mvn -q -B -DskipTests install)
  INFERIS_SKIP_BUILD=1
}

# await_server PORT NAME LOGFILE: returns once the server on PORT answers PING, or exits
await_server() {
  for _ in $(seq 150); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return; sleep 0.2; done
  echo "$2 did not start; see $3" >&2
  exit 1
}

# launch_inferis PORT LOGFILE [options...]: builds if needed and starts the server without waiting for it; sets
# inferis_pid (bin/inferis-server execs the JVM)
launch_inferis() {
  local port=$1 log=$2
  shift 2
  build_inferis
  # benchmarks measure serving: no snapshots unless a script asks (as redis-server --save "" beside it)
  "$home/bin/inferis-server" --port "$port" --save "" "$@" >"$log" 2>&1 &
  inferis_pid=$!
  server_pids+=("$inferis_pid")
}

# start_inferis PORT LOGFILE [options...]: launch_inferis, then waits until it answers
start_inferis() {
  launch_inferis "$@"
  await_server "$1" Inferis "$2"
}

# start_redis PORT LOGFILE [options...]: redis-server on 127.0.0.1 without persistence unless the options turn it on
# (a later option wins); waits until it answers and sets redis_pid. Needs Debian's redis-server.
start_redis() {
  local port=$1 log=$2
  shift 2
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no "$@" >"$log" 2>&1 &
  redis_pid=$!
  server_pids+=("$redis_pid")
  await_server "$port" redis-server "$log"
}

# engine_threads LOGFILE: the threads a forward gets in the started server (its start-up line), for in-process runs
engine_threads() {
  sed -n 's/.*Engine threads: \([0-9]*\) per forward.*/\1/p' "$1" | head -1
}
