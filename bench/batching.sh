#!/usr/bin/env bash
# Batching benchmark: the MNIST-shaped CNN (1x1x28x28 per request) at 32 concurrent clients,
# stored with BATCHSIZE 32 and without batching, for both backends.
# Target: batching >= 2x the unbatched throughput, with p99 no worse than 2x the unbatched p99.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7421}
seconds=${SECONDS_PER_ROW:-10}
clients=32
models="$home/backends/src/test/resources/models"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-batching-inferis.log ${SERVER_OPTIONS:-}
redis-cli -p "$port" AI.TENSORSET image FLOAT 1 1 28 28 >/dev/null

load() { # load MODEL -> "ops p50_ms p99_ms"
  java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients "$clients" --seconds "$seconds" \
    --warmup 3 -- AI.MODELEXECUTE "$1" INPUTS 1 image OUTPUTS 1 "$1:out" | awk '/^RESULT/ { print $2, $3, $4 }'
}

rows=()
for backend in TORCH ONNX; do
  file=$([ "$backend" = TORCH ] && echo mnist_cnn.pt || echo mnist_cnn.onnx)
  redis-cli -p "$port" -x AI.MODELSTORE "cnn-$backend" "$backend" CPU BLOB <"$models/$file" >/dev/null
  redis-cli -p "$port" -x AI.MODELSTORE "cnn-$backend-b32" "$backend" CPU BATCHSIZE 32 BLOB <"$models/$file" >/dev/null
  read -r ops0 p50_0 p99_0 < <(load "cnn-$backend")
  read -r ops32 p50_32 p99_32 < <(load "cnn-$backend-b32")
  avg=$(redis-cli -p "$port" AI.INFO "cnn-$backend-b32" EXTENDED | awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }')
  rows+=("$(awk -v b="$backend" -v o0="$ops0" -v a0="$p50_0" -v z0="$p99_0" -v o="$ops32" -v a="$p50_32" -v z="$p99_32" -v avg="$avg" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %s | %.2fx | %.2fx |", b, o0, a0, z0, o, a, z, avg, o / o0, z / z0 }')")
done

echo
echo "$(nproc) cores; $clients clients, one 1x1x28x28 image per request; latencies in ms"
echo
echo "| backend | unbatched ops/s | p50 | p99 | BATCHSIZE 32 ops/s | p50 | p99 | avg batch | throughput gain | p99 ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
