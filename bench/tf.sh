#!/usr/bin/env bash
# TensorFlow beside TorchScript and ONNX: the reference CNN in all three formats (bench/models: cnn.pt, cnn.onnx and
# cnn.pb, the same weights, made by mk_tf_cnn.py), one 1x1x28x28 image per request. Per engine: the in-process
# forward, AI.MODELEXECUTE at 1 client (latency, overhead), at 32 clients without batching and with BATCHSIZE 32
# (against the in-process forward of a batch of the size formed). As in models.sh, the 1-client latency is measured after
# WARMUP_SECONDS (12) of runs, the JIT's time to settle at one client, and the in-process forward after 10,000 calls.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7451}
seconds=${SECONDS_PER_ROW:-8}
warmup_seconds=${WARMUP_SECONDS:-12}
natives="$home/bench/target/natives" # TF's natives unpack once for the server and the in-process runs
classpath="$home/bench/target/inferis-bench.jar:$home/server/target/lib/*"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-tf-inferis.log --natives-dir "$natives" ${SERVER_OPTIONS:-}
threads=$(engine_threads /tmp/bench-tf-inferis.log)
redis-cli -p "$port" AI.TENSORSET image FLOAT 1 1 28 28 >/dev/null

load() { # load CLIENTS MODEL WARMUP_SECONDS -> "ops p50_ms p99_ms"
  java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients "$1" --seconds "$seconds" \
    --warmup "$3" -- AI.MODELEXECUTE "$2" INPUTS 1 image OUTPUTS 1 "$2:out" | awk '/^RESULT/ { print $2, $3, $4 }'
}

inprocess() { # inprocess BACKEND FILE BATCH CALLS -> "p50_us" of the in-process forward of that batch
  java -Dai.djl.offline=true -Dthreads="$threads" -Dnatives="$natives" -Dinputs=x -Doutputs=y -cp "$classpath" \
    org.inferis.bench.InProcessForward "$1" "$2" "$4" "$3" 1 28 28 2>/dev/null | awk '/^RESULT/ { print $2 }'
}

rows=()
for spec in "TORCH cnn.pt" "ONNX cnn.onnx" "TF cnn.pb"; do
  read -r backend file <<<"$spec"
  path="$home/bench/models/$file"
  names=()
  [ "$backend" = TF ] && names=(INPUTS 1 x OUTPUTS 1 y)
  redis-cli -p "$port" -x AI.MODELSTORE "cnn-$backend" "$backend" CPU "${names[@]}" BLOB <"$path" >/dev/null
  redis-cli -p "$port" -x AI.MODELSTORE "cnn-$backend-b32" "$backend" CPU BATCHSIZE 32 "${names[@]}" BLOB \
    <"$path" >/dev/null
  one=$(inprocess "$backend" "$path" 1 20000)
  read -r _ p50 p99 < <(load 1 "cnn-$backend" "$warmup_seconds")
  read -r ops32 _ _ < <(load 32 "cnn-$backend" 3)
  read -r ops32b _ p99b < <(load 32 "cnn-$backend-b32" 3)
  avg=$(redis-cli -p "$port" AI.INFO "cnn-$backend-b32" EXTENDED | awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }')
  batch=$(awk -v a="$avg" 'BEGIN { b = int(a + 0.5); print b < 1 ? 1 : b }')
  batched=$(inprocess "$backend" "$path" "$batch" 2000)
  rows+=("$(awk -v n="$backend ($file)" -v one="$one" -v p50="$p50" -v p99="$p99" -v o32="$ops32" -v ob="$ops32b" \
    -v zb="$p99b" -v avg="$avg" -v b="$batch" -v bt="$batched" 'BEGIN {
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %s | %.0f | %.2f |", n, one, p50 * 1000, p99 * 1000,
        p50 * 1000 - one, o32, ob, zb, avg, b * 1e6 / bt, ob / (b * 1e6 / bt) }')")
done

echo
echo "$(nproc) cores; the reference CNN, one 1x1x28x28 image per request, forwards with $threads thread(s) in the server"
echo "as in-process; latencies at 1 client in µs, p99 at 32 clients in ms."
echo
echo "| engine (file) | in-process p50 µs | RESP p50 µs | RESP p99 µs | overhead µs | 32 clients ops/s | BATCHSIZE 32 ops/s | p99 ms | avg batch | in-process samples/s at that batch | RESP / in-process |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
