#!/usr/bin/env bash
# Comparative benchmark: the same MNIST CNN (TorchScript, one 1x1x28x28 float32 image per request, its 10
# logits back) served by
#   - Inferis, one AI.DAGEXECUTE per request (TENSORSET |> MODELEXECUTE |> TENSORGET), with and without BATCHSIZE 32,
#     one engine thread per batch;
#   - FastAPI + uvicorn (2 workers, torch with one thread each: the best of the layouts tried on 2 cores) with an
#     asyncio micro-batching queue (up to 32 images, 2 ms wait);
#   - Flask + gunicorn (2 workers x 4 threads, keep-alive), one forward per request;
# at 1, 8 and 32 concurrent clients, the same number of requests and the same payload for each, from one load
# generator per protocol measuring the same way (bench's RespLoad and HttpLoad: closed loop, keep-alive).
# Prints throughput, p50, p99 and the server's RSS (all its processes) after each row.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7461}
http_port=${HTTP_PORT:-7462}
requests=${REQUESTS:-20000}
warmup=${WARMUP_SECONDS:-5}
model="$home/backends/src/test/resources/models/mnist_cnn.pt"
venv="$home/bench/python/.venv"
jar="$home/bench/target/inferis-bench.jar"
image_bytes=3136

if [ ! -x "$venv/bin/uvicorn" ]; then
  echo "Installing the Python services' packages into $venv (pip's configured index)..." >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$home/bench/python/requirements.txt"
fi

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
data=$(mktemp -d)
# one engine thread per batch, as each Python worker below runs torch with one thread
start_inferis "$port" "$data/inferis.log" --dir "$data" --save "" --intra-op-parallelism 1 --inter-op-parallelism 1
redis-cli -p "$port" -x AI.MODELSTORE cnn TORCH CPU BLOB <"$model" >/dev/null
redis-cli -p "$port" -x AI.MODELSTORE cnn-batched TORCH CPU BATCHSIZE 32 BLOB <"$model" >/dev/null

tree_rss_mb() { # RSS of a process and its children, MB
  { echo "$1"; pgrep -P "$1" || true; } | xargs ps -o rss= -p | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
}
rows=()
row() { # row NAME PID RESULT_LINE CLIENTS
  read -r _ ops p50 p99 <<<"$3"
  rows+=("$(printf '| %s | %s | %.0f | %.2f | %.2f | %s |' "$1" "$4" "$ops" "$p50" "$p99" "$(tree_rss_mb "$2")")")
  echo "${rows[-1]}" >&2
}
dag() { # dag MODEL CLIENTS [RespLoad options...]: one AI.DAGEXECUTE a request
  local name=$1 clients=$2; shift 2
  java -jar "$jar" --port "$port" --clients "$clients" "$@" --blob-bytes "$image_bytes" -- AI.DAGEXECUTE ROUTING img \
    '|>' AI.TENSORSET img FLOAT 1 1 28 28 BLOB __blob__ '|>' AI.MODELEXECUTE "$name" INPUTS 1 img OUTPUTS 1 out \
    '|>' AI.TENSORGET out BLOB
}
# the first row measured would carry the JIT's compiling (it read 2,984 requests/s at 1 client, 3,928-4,370 warm):
# both models at 1 client for 12 s first
for name in cnn cnn-batched; do dag "$name" 1 --seconds 12 --warmup 0 >/dev/null; done
for clients in 1 8 32; do
  for name in cnn cnn-batched; do
    result=$(dag "$name" "$clients" --requests "$requests" --warmup "$warmup" | grep '^RESULT')
    label="Inferis"; [ "$name" = cnn-batched ] && label="Inferis, BATCHSIZE 32"
    row "$label" "$inferis_pid" "$result" "$clients"
  done
done
redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
wait "$inferis_pid" 2>/dev/null || true

http_service() { # http_service NAME command...: starts it, runs the three rows, stops it
  local name=$1
  shift
  (cd "$home/bench/python" && MODEL="$model" TORCH_THREADS=1 "$@" >"$data/$name.log" 2>&1) &
  local pid=$!
  for _ in $(seq 300); do
    curl -s -o /dev/null --data-binary "@$data/image.bin" "http://127.0.0.1:$http_port/predict" && break
    sleep 0.2
  done
  local server_pid
  server_pid=$(pgrep -P "$pid" | head -1) # the subshell's child: the server's master process
  for clients in 1 8 32; do
    result=$(java -cp "$jar" org.inferis.bench.HttpLoad --port "$http_port" --clients "$clients" \
      --requests "$requests" --warmup "$warmup" --blob-bytes "$image_bytes" -- /predict | grep '^RESULT')
    row "$name" "$server_pid" "$result" "$clients"
  done
  kill -TERM "$server_pid"
  wait "$pid" 2>/dev/null || true
}
head -c "$image_bytes" /dev/zero >"$data/image.bin"
http_service "FastAPI + uvicorn, micro-batching" "$venv/bin/uvicorn" cnn_fastapi:app --host 127.0.0.1 \
  --port "$http_port" --workers 2 --log-level warning
http_service "Flask + gunicorn" "$venv/bin/gunicorn" -k gthread -w 2 --threads 4 -b "127.0.0.1:$http_port" cnn_flask:app

echo
echo "$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/Mem:/ { print $2 }') GiB;"
echo "load generator on the same machine; $requests requests a row after a ${warmup} s warm-up; latencies in ms"
echo
echo "| server | clients | requests/s | p50 | p99 | server RSS MB |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
printf '%s\n' "${rows[@]}" | awk -F' *\\| *' '$3 == 32 {
    if ($2 == "Inferis, BATCHSIZE 32") { ops = $4; p99 = $6 }
    else if ($2 !~ /^Inferis/ && $4 > best) { best = $4; best_p99 = $6; name = $2 }
  } END { printf "\nAt 32 clients: Inferis with batching %.2fx the best Python service (%s), p99 %.2f vs %.2f ms\n", ops / best, name, p99, best_p99 }'
rm -rf "$data"
