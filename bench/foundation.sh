#!/usr/bin/env bash
# Server-foundation benchmark: Inferis and redis-server side by side on this machine, in one run.
#   PING, SET, GET (1 KiB) with redis-benchmark at 50 clients, unpipelined and -P 16;
#   AI.TENSORSET of a FLOAT 2x2 by VALUES and AI.TENSORGET BLOB of a 1x1x28x28 tensor against SET / GET of the same
#   payload (redis-benchmark, 50 clients);
#   AI.TENSORSET / AI.TENSORGET of a FLOAT 1x3x224x224 BLOB (588 KiB) against SET / GET of the
#   same size, with bench's RespLoad (redis-benchmark cannot carry a blob that large on its command line).
# Each row is the median of ROUNDS (5) rounds, Redis and Inferis alternating, so that a noisy moment on a shared
# machine hits neither side alone. Prints a markdown table; targets: RESP core rows >= 0.9x Redis, the small tensor
# rows >= 1.0x.
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_port=${REDIS_PORT:-7400}
inferis_port=${INFERIS_PORT:-7401}
requests=${REQUESTS:-300000}
pipelined_requests=${PIPELINED_REQUESTS:-3000000}
blob_seconds=${BLOB_SECONDS:-5}
rounds=${ROUNDS:-5}
clients=50
blob_bytes=$((3 * 224 * 224 * 4))

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
start_redis "$redis_port" /tmp/bench-redis.log
start_inferis "$inferis_port" /tmp/bench-inferis.log

# rps of one redis-benchmark test: bench_rps PORT TEST [extra args]
bench_rps() {
  local port=$1 test=$2; shift 2
  redis-benchmark -p "$port" -c "$clients" -t "$test" -d 1024 --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}

# rps of one command given whole: command_rps PORT COMMAND...
command_rps() {
  local port=$1; shift
  redis-benchmark -p "$port" -c "$clients" -n "$requests" --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}

load() { # load PORT SECONDS WARMUP COMMAND... -> "ops p50 p99"
  local port=$1 seconds=$2 warmup=$3; shift 3
  java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients "$clients" --seconds "$seconds" \
    --warmup "$warmup" --blob-bytes "$blob_bytes" -- "$@" | awk '/^RESULT/ { print $2 }'
}

echo "Warming up Inferis' JIT..." >&2
bench_rps "$inferis_port" ping_mbulk,set,get -n "$requests" >/dev/null
bench_rps "$inferis_port" ping_mbulk,set,get -n "$pipelined_requests" -P 16 >/dev/null

rows=()
row() { # row NAME REDIS_RPS INFERIS_RPS
  rows+=("$(awk -v n="$1" -v r="$2" -v i="$3" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |", n, r, i, i / r }')")
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# side_by_side NAME REDIS_COMMAND INFERIS_COMMAND: each measured `rounds` times, alternating; a row of the medians
side_by_side() {
  local name=$1 redis_command=$2 inferis_command=$3 redis=() inferis=()
  for _ in $(seq "$rounds"); do
    redis+=("$(eval "$redis_command")")
    inferis+=("$(eval "$inferis_command")")
  done
  row "$name" "$(printf '%s\n' "${redis[@]}" | median)" "$(printf '%s\n' "${inferis[@]}" | median)"
}
for test in ping_mbulk set get; do
  side_by_side "$test, 1 KiB, unpipelined" "bench_rps $redis_port $test -n $requests" \
      "bench_rps $inferis_port $test -n $requests"
  side_by_side "$test, 1 KiB, -P 16" "bench_rps $redis_port $test -n $pipelined_requests -P 16" \
      "bench_rps $inferis_port $test -n $pipelined_requests -P 16"
done
# small tensors against strings of the same payload (16 bytes; a 1x1x28x28 FLOAT tensor's 3,136), same client
redis-cli -p "$redis_port" SET small3k "$(head -c 3136 /dev/zero | tr '\0' x)" >/dev/null
redis-cli -p "$inferis_port" AI.TENSORSET small3k FLOAT 1 1 28 28 >/dev/null
command_rps "$inferis_port" AI.TENSORSET t FLOAT 2 2 VALUES 1 2 3 4 >/dev/null # warm-up
command_rps "$inferis_port" AI.TENSORGET small3k BLOB >/dev/null # warm-up
side_by_side "AI.TENSORSET FLOAT 2x2 VALUES vs SET 16 B" "command_rps $redis_port SET s 0123456789abcdef" \
    "command_rps $inferis_port AI.TENSORSET t FLOAT 2 2 VALUES 1 2 3 4"
side_by_side "AI.TENSORGET BLOB vs GET 3 KiB" "command_rps $redis_port GET small3k" \
    "command_rps $inferis_port AI.TENSORGET small3k BLOB"
side_by_side "AI.TENSORSET FLOAT 1x3x224x224 vs SET 588 KiB" "load $redis_port $blob_seconds 2 SET blob __blob__" \
    "load $inferis_port $blob_seconds 3 AI.TENSORSET t FLOAT 1 3 224 224 BLOB __blob__"
side_by_side "AI.TENSORGET BLOB vs GET 588 KiB" "load $redis_port $blob_seconds 2 GET blob" \
    "load $inferis_port $blob_seconds 3 AI.TENSORGET t BLOB"

echo
echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $clients clients; median of $rounds alternating rounds; redis $(redis-server --version | awk '{print $3}' | cut -d= -f2)"
echo
echo "| test | Redis ops/s | Inferis ops/s | Inferis / Redis |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
