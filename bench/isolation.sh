#!/usr/bin/env bash
# What engine-isolation costs: the reference CNN (TorchScript and ONNX) on two servers side by side, engines in the
# server's process and in an engine process of their own, at 1 client (p50 / p99) and at 32 clients with
# BATCHSIZE 32 (runs/s), two rounds of the two alternating after a 12 s warm-up of each, the means reported.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
in_process_port=${INFERIS_PORT:-7431}
isolated_port=${ISOLATED_PORT:-7432}
seconds=${SECONDS_PER_ROW:-8}

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
start_inferis "$in_process_port" /tmp/bench-isolation-in-process.log
start_inferis "$isolated_port" /tmp/bench-isolation-isolated.log --engine-isolation yes

load() { # load PORT CLIENTS WARMUP_SECONDS MODEL -> "ops p50_ms p99_ms"
  java -jar "$home/bench/target/inferis-bench.jar" --port "$1" --clients "$2" --seconds "$seconds" --warmup "$3" \
    -- AI.MODELEXECUTE "$4" INPUTS 1 in OUTPUTS 1 out | awk '/^RESULT/ { print $2, $3, $4 }'
}
mean() { printf '%s\n' "$@" | awk '{ sum += $1 } END { print sum / NR }'; }

rows=()
for spec in "TORCH cnn.pt" "ONNX cnn.onnx"; do
  read -r backend file <<<"$spec"
  for port in "$in_process_port" "$isolated_port"; do
    redis-cli -p "$port" -x AI.MODELSTORE one "$backend" CPU BLOB <"$home/bench/models/$file" >/dev/null
    redis-cli -p "$port" -x AI.MODELSTORE b32 "$backend" CPU BATCHSIZE 32 BLOB <"$home/bench/models/$file" >/dev/null
    redis-cli -p "$port" AI.TENSORSET in FLOAT 1 1 28 28 >/dev/null
  done
  declare -A p50 p99 ops
  for port in "$in_process_port" "$isolated_port"; do p50[$port]="" p99[$port]="" ops[$port]=""; done
  warmup=12
  for _ in 1 2; do
    for port in "$in_process_port" "$isolated_port"; do
      read -r _ median tail < <(load "$port" 1 "$warmup" one)
      read -r rate _ _ < <(load "$port" 32 3 b32)
      p50[$port]+=" $median" p99[$port]+=" $tail" ops[$port]+=" $rate"
    done
    warmup=3
  done
  # shellcheck disable=SC2086
  rows+=("$(awk -v n="$backend" -v a="$(mean ${p50[$in_process_port]})" -v b="$(mean ${p50[$isolated_port]})" \
    -v c="$(mean ${p99[$in_process_port]})" -v d="$(mean ${p99[$isolated_port]})" \
    -v e="$(mean ${ops[$in_process_port]})" -v f="$(mean ${ops[$isolated_port]})" 'BEGIN {
      printf "| %s | %.0f / %.0f | %+.0f | %.0f / %.0f | %.0f / %.0f | %.2f |", n, a * 1000, b * 1000, (b - a) * 1000,
        c * 1000, d * 1000, e, f, f / e }')")
  for port in "$in_process_port" "$isolated_port"; do
    redis-cli -p "$port" AI.MODELDEL one >/dev/null
    redis-cli -p "$port" AI.MODELDEL b32 >/dev/null
  done
done

echo
echo "$(nproc) cores; the reference CNN, one 1x1x28x28 image per request. Each cell: engines in the server's process /"
echo "in the engine process (\`--engine-isolation yes\`)."
echo
echo "| engine | 1 client p50 µs | added µs | 1 client p99 µs | 32 clients BATCHSIZE 32 runs/s | isolated / in-process |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
