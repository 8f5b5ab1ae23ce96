#!/usr/bin/env bash
# Model-execution benchmark: AI.MODELEXECUTE over RESP against the same model's forward called
# in-process through the backend interface, for the Linear(4,3)+ReLU and the MNIST-shaped CNN.
#   latency: p50 / p99 at 1 client, with workers and event loops spinning (run-spin's default) and without, two
#   runs each (means);
#   throughput: 16 clients, no batching;
#   the platform's share: after each model, a PING at 1 client to redis-server (started beside) and to Inferis with the
#   same load generator, so that the overhead reads against what any RESP server pays on this machine that minute.
# Each model's first load warms the server up for WARMUP_SECONDS (12) before it measures: at one client the JIT takes some 40,000
# runs to settle (TorchScript linear, redis-benchmark -c 1, 10,000 runs at a time: 2.3k, 3.5k, 4.8k, 6.4k, 7.0k runs/s),
# and the in-process forward it is compared with is measured after 10,000 warm-up calls too.
# Needs redis-server (Debian: redis-server) for the PING beside.
# Target: RESP p50 minus in-process p50 <= 30 us (a PING's round trip alone measured 24-33 us on one 2-core VM, 120-150
# on another).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7411}
redis_port=${REDIS_PORT:-7412}
seconds=${SECONDS_PER_ROW:-8}
ping_seconds=${PING_SECONDS:-4}
warmup_seconds=${WARMUP_SECONDS:-12}
classpath="$home/bench/target/inferis-bench.jar:$home/server/target/lib/*"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-models-inferis.log ${SERVER_OPTIONS:-}
threads=$(engine_threads /tmp/bench-models-inferis.log) # in-process forwards get the server's threads
spin=$(redis-cli -p "$port" CONFIG GET run-spin | tail -1)
start_redis "$redis_port" /tmp/bench-models-redis.log

load() { # load CLIENTS WARMUP_SECONDS COMMAND... -> "ops p50_ms p99_ms" from Inferis (or the server on LOAD_PORT)
  local clients=$1 warmup=$2; shift 2
  java -jar "$home/bench/target/inferis-bench.jar" --port "${LOAD_PORT:-$port}" --clients "$clients" \
    --seconds "${LOAD_SECONDS:-$seconds}" --warmup "$warmup" -- "$@" | awk '/^RESULT/ { print $2, $3, $4 }'
}

rows=()
mean() { printf '%s\n' "$@" | awk '{ sum += $1 } END { print sum / NR }'; }
# the test fixtures, then the reference CNN (bench/models/mkmodels.py), where overhead cannot hide
fixtures=backends/src/test/resources/models
for spec in "linear TORCH $fixtures/linear_relu.pt 1 4" "cnn TORCH $fixtures/mnist_cnn.pt 1 1 28 28" \
            "linear-onnx ONNX $fixtures/linear_relu.onnx 1 4" "cnn-onnx ONNX $fixtures/mnist_cnn.onnx 1 1 28 28" \
            "reference-cnn TORCH bench/models/cnn.pt 1 1 28 28" "reference-cnn-onnx ONNX bench/models/cnn.onnx 1 1 28 28"; do
  read -r name backend file shape <<<"$spec"
  redis-cli -p "$port" -x AI.MODELSTORE "$name" "$backend" CPU BLOB <"$home/$file" >/dev/null
  # shellcheck disable=SC2086
  redis-cli -p "$port" AI.TENSORSET "$name:in" FLOAT $shape >/dev/null
  # shellcheck disable=SC2086
  read -r inproc_p50 _ inproc_mean < <(java -Dai.djl.offline=true -Dthreads="$threads" -cp "$classpath" org.inferis.bench.InProcessForward \
    "$backend" "$home/$file" 20000 $shape 2>/dev/null | awk '/^RESULT/ { print $2, $3, $4 }')
  # at 1 client, with workers and event loops spinning (run-spin's default) and without (run-spin 0), in the order
  # spin, none, none, spin so that neither gains from warming up: the means of the two
  # (and, spinning, the forward's mean inside the server: AI.INFO's engine time a run)
  p50s=() nospins=() p99s=() nospin_p99s=() served=() warmup=$warmup_seconds
  for setting in "$spin" 0 0 "$spin"; do
    redis-cli -p "$port" CONFIG SET run-spin "$setting" >/dev/null
    redis-cli -p "$port" AI.INFO "$name" RESETSTAT >/dev/null
    read -r _ p50 p99 < <(load 1 "$warmup" AI.MODELEXECUTE "$name" INPUTS 1 "$name:in" OUTPUTS 1 "$name:out")
    warmup=3
    if [ "$setting" = 0 ]; then nospins+=("$p50"); nospin_p99s+=("$p99"); else p50s+=("$p50"); p99s+=("$p99")
      served+=("$(redis-cli -p "$port" AI.INFO "$name" | awk 'prev == "duration" { d = $1 } prev == "calls" { c = $1 }
        { prev = $1 } END { print d / c }')"); fi
  done
  p50=$(mean "${p50s[@]}") p99=$(mean "${p99s[@]}") p50_nospin=$(mean "${nospins[@]}") p99_nospin=$(mean "${nospin_p99s[@]}")
  served=$(mean "${served[@]}")
  read -r _ redis_ping _ < <(LOAD_PORT=$redis_port LOAD_SECONDS=$ping_seconds load 1 2 PING)
  read -r _ inferis_ping _ < <(LOAD_SECONDS=$ping_seconds load 1 2 PING)
  read -r ops16 _ _ < <(load 16 3 AI.MODELEXECUTE "$name" INPUTS 1 "$name:in" OUTPUTS 1 "$name:out")
  rows+=("$(awk -v n="$name ($backend, input $shape)" -v ip="$inproc_p50" -v p50="$p50" -v p99="$p99" -v ops="$ops16" \
    -v nospin="$p50_nospin" -v nospin99="$p99_nospin" -v rping="$redis_ping" -v iping="$inferis_ping" \
    -v im="$inproc_mean" -v sv="$served" 'BEGIN {
    printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f | %.0f |", n, ip, p50 * 1000, p99 * 1000,
      p50 * 1000 - ip, im, sv, rping * 1000, iping * 1000, nospin * 1000, nospin99 * 1000, ops }')")
done

echo
echo "$(nproc) cores; RESP latency at 1 client (each p50 and p99 the mean of two runs, spinning and run-spin 0 alternating),"
echo "throughput at 16 clients (no batching); forwards with $threads thread(s),"
echo "in the server as in-process; the forward's mean in the server is AI.INFO's engine time a run while spinning"
echo
echo "| model | in-process p50 µs | RESP p50 µs | RESP p99 µs | RESP p50 − in-process p50 µs | forward mean µs, in-process / in the server | PING p50 µs, redis-server / Inferis | RESP p50 / p99 µs with run-spin 0 | ops/s at 16 clients |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
