#!/usr/bin/env bash
# Stream workers: the reference CNN served to jobs in a Redis stream (one 1x1x28x28 image per job, BATCHSIZE 32) by one
# node and by two nodes of one consumer group, beside the same model over RESP at 32 clients on one node.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_port=${REDIS_PORT:-7431}
base=${INFERIS_PORT:-7432}
jobs=${JOBS:-20000}
seconds=${SECONDS_PER_ROW:-10}
model="cnn TORCH CPU $home/bench/models/cnn.pt BATCHSIZE 32"
classpath="$home/bench/target/inferis-bench.jar:$home/server/target/lib/*"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
start_redis "$redis_port" /tmp/bench-streams-redis.log

start_node() { # start_node PORT STREAM
  launch_inferis "$1" "/tmp/bench-streams-$1.log" --worker-name "node-$1" --load-model "$model" \
    --stream-worker "redis://127.0.0.1:$redis_port/$2 inferis $2-results"
  for _ in $(seq 150); do grep -q "started as consumer" "/tmp/bench-streams-$1.log" && return; sleep 0.2; done
  echo "Inferis did not start; see /tmp/bench-streams-$1.log" >&2
  exit 1
}
stop_nodes() {
  for port in "$@"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  sleep 1
}
done_counts() { # done_counts PORT... -> "n1 / n2"
  for port in "$@"; do redis-cli -p "$port" info workers | sed -n 's/.*,done=\([0-9]*\),.*/\1/p'; done | paste -sd/ -
}
stream_run() { # stream_run STREAM -> "jobs/s seconds"
  java -cp "$classpath" org.inferis.bench.StreamLoad "$redis_port" "$1" "$1-results" cnn "$jobs" 1 1 28 28 \
    | awk '/^RESULT/ { print $2, $3 }'
}

echo
echo "| path | nodes | jobs/s (or runs/s) | jobs per node | avg batch |"
echo "|---|---|---|---|---|"
start_node "$base" one
read -r rate secs < <(stream_run one)
avg=$(redis-cli -p "$base" AI.INFO cnn EXTENDED | awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }')
echo "| Redis stream, $jobs jobs | 1 | $rate | $(done_counts "$base") | $avg |"
# the same node, the same model, over RESP
redis-cli -p "$base" AI.TENSORSET image FLOAT 1 1 28 28 >/dev/null
resp=$(java -jar "$home/bench/target/inferis-bench.jar" --port "$base" --clients 32 --seconds "$seconds" --warmup 3 \
  -- AI.MODELEXECUTE cnn INPUTS 1 image OUTPUTS 1 out | awk '/^RESULT/ { printf "%.0f", $2 }')
echo "| RESP, 32 clients, AI.MODELEXECUTE | 1 | $resp | | |"
stop_nodes "$base"

start_node "$((base + 1))" two
start_node "$((base + 2))" two
read -r rate secs < <(stream_run two)
echo "| Redis stream, $jobs jobs | 2 | $rate | $(done_counts "$((base + 1))" "$((base + 2))") | |"
stop_nodes "$((base + 1))" "$((base + 2))"
echo
echo "On $(nproc) cores. Two nodes share the same cores, so the second one adds a consumer, not compute; on"
echo "separate machines each node brings its own."
