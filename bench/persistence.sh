#!/usr/bin/env bash
# Persistence benchmark: time and peak extra memory (RSS sampled every 20 ms) to SAVE and to load 2 GiB of
# tensors and a 100 MB model; then AI.TENSORSET throughput (3 KiB BLOB, 50 clients, redis-benchmark) with
# appendonly no, everysec and always.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7451}
requests=${REQUESTS:-100000}
data=$(mktemp -d)
# shellcheck source=lib.sh
source "$home/bench/lib.sh"

rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# peak_rss_mb PID FILE: samples RSS into FILE until killed
sample_rss() { while kill -0 "$1" 2>/dev/null; do rss_mb "$1" >>"$2" 2>/dev/null || true; echo >>"$2"; sleep 0.02; done; }
peak() { sort -n "$1" | tail -1; }

start_inferis "$port" "$data/first.log" --dir "$data"
empty_rss=$(rss_mb "$inferis_pid")
blob="$data/tensor.bin"
head -c $((64 << 20)) /dev/urandom >"$blob"
for i in $(seq 0 31); do # 32 x 64 MiB = 2 GiB
  redis-cli -p "$port" -x AI.TENSORSET "t$i" FLOAT $((16 << 20)) BLOB <"$blob" >/dev/null
done
python3 "$home/bench/pad_model.py" "$home/backends/src/test/resources/models/linear_relu.pt" "$data/model.pt" 100
redis-cli -p "$port" -x AI.MODELSTORE big TORCH CPU BLOB <"$data/model.pt" >/dev/null
redis-cli -p "$port" AI.TENSORSET x FLOAT 1 4 VALUES 1 2 3 4 >/dev/null
redis-cli -p "$port" AI.MODELEXECUTE big INPUTS 1 x OUTPUTS 1 y >/dev/null
before_save=$(rss_mb "$inferis_pid")
sample_rss "$inferis_pid" "$data/save.rss" &
sampler=$!
start=$(date +%s%N)
redis-cli -p "$port" SAVE >/dev/null
save_ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill $sampler; wait $sampler 2>/dev/null || true
save_peak=$(peak "$data/save.rss")
file_mb=$(( $(stat -c %s "$data/dump.inferis") >> 20 ))
expected=$(redis-cli -p "$port" AI.TENSORGET y VALUES | tr '\n' ' ')
redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
wait "$inferis_pid" 2>/dev/null || true

launch_inferis "$port" "$data/second.log" --dir "$data"
sample_rss "$inferis_pid" "$data/load.rss" &
sampler=$!
until grep -q 'Ready to serve' "$data/second.log"; do sleep 0.05; done
kill $sampler; wait $sampler 2>/dev/null || true
load_ms=$(sed -n 's/.*DB loaded from disk: .* in \([0-9]*\) ms.*/\1/p' "$data/second.log")
load_peak=$(peak "$data/load.rss")
after_load=$(rss_mb "$inferis_pid")
redis-cli -p "$port" AI.MODELEXECUTE big INPUTS 1 x OUTPUTS 1 y >/dev/null
[ "$(redis-cli -p "$port" AI.TENSORGET y VALUES | tr '\n' ' ')" = "$expected" ] || { echo "loaded model differs" >&2; exit 1; }
redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
wait "$inferis_pid" 2>/dev/null || true

echo
echo "$(nproc) cores; 2 GiB of tensors (32 x 64 MiB) and a 100 MB TorchScript model; snapshot file ${file_mb} MiB"
echo "(an empty server's RSS: ${empty_rss} MB)"
echo
echo "| step | time ms | RSS before MB | peak RSS MB | peak extra MB |"
echo "|---|---|---|---|---|"
echo "| SAVE | $save_ms | $before_save | $save_peak | $((save_peak - before_save)) |"
echo "| load at start-up | $load_ms | $empty_rss (empty) | $load_peak | $((load_peak - after_load)) over the loaded server ($after_load) |"

payload=$(head -c 3136 /dev/zero | tr '\0' a)
echo
echo "AI.TENSORSET of a FLOAT 1x1x28x28 BLOB (3 KiB), random keys, 50 clients, $requests requests"
echo
echo "| appendonly | ops/s |"
echo "|---|---|"
for mode in no everysec always; do
  rm -f "$data"/*.aof "$data"/dump.inferis
  if [ "$mode" = no ]; then options=(--appendonly no); else options=(--appendonly yes --appendfsync "$mode"); fi
  launch_inferis "$port" "$data/$mode.log" --dir "$data" "${options[@]}"
  until grep -q 'Ready to serve' "$data/$mode.log"; do sleep 0.05; done
  ops=$(redis-benchmark -p "$port" -c 50 -n "$requests" -r 100000 --csv \
      AI.TENSORSET "t:__rand_int__" FLOAT 1 1 28 28 BLOB "$payload" 2>/dev/null |
    awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }')
  label=$mode; [ "$mode" = no ] || label="yes, appendfsync $mode"
  printf '| %s | %.0f |\n' "$label" "$ops"
  kill -TERM "$inferis_pid"; wait "$inferis_pid" 2>/dev/null || true
done
rm -rf "$data"
