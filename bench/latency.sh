#!/usr/bin/env bash
# LATENCY against fixed batch delays: the reference CNN (TorchScript, BATCHSIZE 32) under open-loop Poisson arrivals
# at three loads, stored with LATENCY <target> and with MINBATCHSIZE 32 + MINBATCHTIMEOUT 1/5/10 ms, and greedy
# (BATCHSIZE alone: whatever waits goes). Goal: p99 at or under the target with throughput at least the best fixed one's.
# The server first warms up for WARMUP_SECONDS (10) at the highest load: unwarmed, the row measured first took the
# JIT's compiling in its p99 (greedy measured first: 53 ms at 1500/s offered; measured after LATENCY 20: 4 ms).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7441}
seconds=${SECONDS_PER_ROW:-8}
target=${LATENCY_TARGET:-20}
rates=${RATES:-"300 1500 3000"}
model="$home/bench/models/cnn.pt"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-latency-inferis.log ${SERVER_OPTIONS:-}
redis-cli -p "$port" AI.TENSORSET image FLOAT 1 1 28 28 >/dev/null
redis-cli -p "$port" -x AI.MODELSTORE cnn TORCH CPU BATCHSIZE 32 BLOB <"$model" >/dev/null
java -cp "$home/bench/target/inferis-bench.jar" org.inferis.bench.PoissonLoad "$port" "${rates##* }" \
  "${WARMUP_SECONDS:-10}" 0 -- AI.MODELEXECUTE cnn INPUTS 1 image OUTPUTS 1 'out:__slot__' >/dev/null

configs=("LATENCY $target" "MINBATCHSIZE 32 MINBATCHTIMEOUT 1" "MINBATCHSIZE 32 MINBATCHTIMEOUT 5"
         "MINBATCHSIZE 32 MINBATCHTIMEOUT 10" "")
echo
echo "Target: p99 <= $target ms. Each cell: answered/s, p50 / p99 ms at the client, p99 ms inside the server (queue"
echo "wait + forward, AI.INFO's last 1024 runs), average batch."
echo
header="| setting |"
rule="|---|"
for rate in $rates; do header+=" $rate/s offered |"; rule+="---|"; done
echo "$header"
echo "$rule"
for config in "${configs[@]}"; do
  # shellcheck disable=SC2086
  redis-cli -p "$port" -x AI.MODELSTORE cnn TORCH CPU BATCHSIZE 32 $config BLOB <"$model" >/dev/null
  row="| ${config:-greedy (BATCHSIZE 32 alone)} |"
  for rate in $rates; do
    redis-cli -p "$port" AI.INFO cnn RESETSTAT >/dev/null
    read -r ops p50 p99 errors < <(java -cp "$home/bench/target/inferis-bench.jar" org.inferis.bench.PoissonLoad \
      "$port" "$rate" "$seconds" 2 -- AI.MODELEXECUTE cnn INPUTS 1 image OUTPUTS 1 'out:__slot__' \
      | awk '/^RESULT/ { print $2, $3, $4, $5 }')
    info=$(redis-cli -p "$port" AI.INFO cnn EXTENDED)
    avg=$(awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }' <<<"$info")
    server_p99=$(awk 'prev == "p99_us" { printf "%.2f", $0 / 1000; exit } { prev = $0 }' <<<"$info")
    [ "$errors" = 0 ] || ops="$ops ($errors errors)"
    row+=" $ops, $p50 / $p99 ($server_p99), $avg |"
  done
  echo "$row"
done
