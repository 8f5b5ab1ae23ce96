#!/usr/bin/env bash
# Shared by the benchmark scripts: build, start Inferis on a port and stop it on exit.
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# start_inferis PORT LOGFILE [options...]: builds if needed, starts the server, waits until it answers.
start_inferis() {
  local port=$1 log=$2
  shift 2
  # bench/report.sh builds once and sets INFERIS_SKIP_BUILD for the scripts it runs
  [ -n "${INFERIS_SKIP_BUILD:-}" ] || (cd "$home" && mvn -q -B -DskipTests install)
  # benchmarks measure serving: no snapshots unless a script asks (as redis-server --save "" beside it)
  "$home/bin/inferis-server" --port "$port" --save "" "$@" >"$log" 2>&1 &
  inferis_pid=$!
  trap 'kill $inferis_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return; sleep 0.2; done
  echo "Inferis did not start; see $log" >&2
  exit 1
}

# engine_threads LOGFILE: the threads a forward gets in the started server (its start-up line), for in-process runs
engine_threads() {
  sed -n 's/.*Engine threads: \([0-9]*\) per forward.*/\1/p' "$1" | head -1
}
