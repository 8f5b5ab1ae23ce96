#!/usr/bin/env bash
# Batching benchmark: the MNIST-shaped CNN (1x1x28x28 per request) at 32 concurrent clients,
# stored with BATCHSIZE 32 and without batching, for both backends.
# Target: batching >= 2x the unbatched throughput, with p99 no worse than 2x the unbatched p99; and samples/s over RESP
# >= 90% of the in-process forward rate at the batch size formed. That ratio is measured in ROUNDS (3) rounds, each a
# batched load then the in-process forward at the batch it formed, and the round with the median ratio is reported
# beside every round's ratio: on a VM whose speed changes from one minute to the next, single runs of the same row
# read anywhere from 0.58 to 0.70 within hours.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7421}
seconds=${SECONDS_PER_ROW:-10}
rounds=${ROUNDS:-3}
clients=32
models="$home/backends/src/test/resources/models"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-batching-inferis.log ${SERVER_OPTIONS:-}
threads=$(engine_threads /tmp/bench-batching-inferis.log) # in-process forwards get the server's threads
redis-cli -p "$port" AI.TENSORSET image FLOAT 1 1 28 28 >/dev/null
# redis-server beside it: what a request and its reply cost a RESP server that computes nothing, and its client
redis_port=$((port + 1))
start_redis "$redis_port" /tmp/bench-batching-redis.log

# the load generator is redis-benchmark, the client of #15's measurements: one C thread on epoll, which on these shared
# cores costs 19-21 µs of CPU a run against 28-33 for bench's RespLoad (a thread a client, woken by every reply)
rb() { # rb PORT REQUESTS COMMAND... -> "ops p50_ms p99_ms"
  local port=$1 requests=$2
  shift 2
  redis-benchmark -p "$port" -c "$clients" -n "$requests" --csv "$@" | awk -F'"' 'NR == 2 { print $4, $10, $14 }'
}
load() { # load PID PORT WARMUP_SECONDS COMMAND... -> "ops p50_ms p99_ms server_cpu_us_a_run load_generator_cpu_us_a_run"
  local pid=$1 port=$2 warmup=$3 rate n ticks0 ticks1 TIMEFORMAT='%U %S'
  shift 3
  # redis-benchmark counts requests: a short run, then the warm-up, sizes the measured one to about $seconds
  rate=$(rb "$port" 2000 "$@" | awk '{ print $1 }')
  rate=$(rb "$port" "$(awk -v r="$rate" -v w="$warmup" 'BEGIN { printf "%d", r * w + 1 }')" "$@" | awk '{ print $1 }')
  n=$(awk -v r="$rate" -v s="$seconds" 'BEGIN { printf "%d", r * s + 1 }')
  ticks0=$(cpu_ticks "$pid")
  { time rb "$port" "$n" "$@" >/tmp/bench-batching-load.out; } 2>/tmp/bench-batching-load.cpu
  ticks1=$(cpu_ticks "$pid")
  awk -v n="$n" -v t="$((ticks1 - ticks0))" -v hz="$(getconf CLK_TCK)" -v cpu="$(cat /tmp/bench-batching-load.cpu)" \
    '{ split(cpu, c, " "); printf "%s %s %s %.1f %.1f\n", $1, $2, $3, t * 1e6 / hz / n, (c[1] + c[2]) * 1e6 / n }' \
    /tmp/bench-batching-load.out
}
redis_floor() { # redis_floor -> "server_cpu_us load_generator_cpu_us" a SET of a short value, as many clients
  load "$redis_pid" "$redis_port" 1 SET reference:out OK | awk '{ print $4, $5 }'
}
run_load() { # run_load MODEL [WARMUP_SECONDS]: load of one image a run through MODEL
  load "$inferis_pid" "$port" "${2:-3}" AI.MODELEXECUTE "$1" INPUTS 1 image OUTPUTS 1 "$1:out"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system time of a process, in clock ticks
engine_us() { # engine_us MODEL -> µs the engine took a sample since the last RESETSTAT (AI.INFO)
  redis-cli -p "$port" AI.INFO "$1" | awk 'prev == "duration" { d = $1 } prev == "samples" { s = $1 } { prev = $1 }
    END { printf "%.1f", d / s }'
}

classpath="$home/bench/target/inferis-bench.jar:$home/server/target/lib/*"
inprocess_rate() { # inprocess_rate BACKEND FILE BATCH -> samples/s of the in-process forward of that batch size (p50)
  java -Dai.djl.offline=true -Dthreads="$threads" -cp "$classpath" org.inferis.bench.InProcessForward "$1" "$2" 2000 "$3" 1 28 28 \
    2>/dev/null | awk -v b="$3" '/^RESULT/ { printf "%.0f", b * 1e6 / $2 }'
}

rows=()
# the test fixture, then the reference CNN (bench/models/mkmodels.py)
for spec in "mnist TORCH $models/mnist_cnn.pt" "mnist ONNX $models/mnist_cnn.onnx" \
            "reference TORCH $home/bench/models/cnn.pt" "reference ONNX $home/bench/models/cnn.onnx"; do
  read -r name backend file <<<"$spec"
  key="$name-$backend"
  redis-cli -p "$port" -x AI.MODELSTORE "$key" "$backend" CPU BLOB <"$file" >/dev/null
  redis-cli -p "$port" -x AI.MODELSTORE "$key-b32" "$backend" CPU BATCHSIZE 32 BLOB <"$file" >/dev/null
  read -r ops0 p50_0 p99_0 _ < <(run_load "$key")
  measured=() # per round: "ratio ops p50 p99 avg batch engine server_cpu load_cpu engine_in_server"
  for round in $(seq "$rounds"); do
    redis-cli -p "$port" AI.INFO "$key-b32" RESETSTAT >/dev/null
    read -r ops32 p50_32 p99_32 server_cpu load_cpu < <(run_load "$key-b32" "$([ "$round" = 1 ] && echo 3 || echo 1)")
    served=$(engine_us "$key-b32")
    avg=$(redis-cli -p "$port" AI.INFO "$key-b32" EXTENDED | awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }')
    batch=$(awk -v a="$avg" 'BEGIN { b = int(a + 0.5); print b < 1 ? 1 : b }')
    engine=$(inprocess_rate "$backend" "$file" "$batch")
    measured+=("$(awk -v o="$ops32" -v e="$engine" 'BEGIN { printf "%.4f", o / e }') $ops32 $p50_32 $p99_32 $avg $batch $engine $server_cpu $load_cpu $served")
  done
  read -r ratio ops32 p50_32 p99_32 avg batch engine server_cpu load_cpu served < <(printf '%s\n' "${measured[@]}" | sort -g |
    awk -v n="$rounds" 'NR == int((n + 1) / 2)')
  read -r redis_server_cpu redis_load_cpu < <(redis_floor)
  each=$(printf '%s\n' "${measured[@]}" | awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 }')
  rows+=("$(awk -v n="$name CNN, $backend" -v o0="$ops0" -v a0="$p50_0" -v z0="$p99_0" -v o="$ops32" -v a="$p50_32" \
    -v z="$p99_32" -v avg="$avg" -v e="$engine" -v b="$batch" -v each="$each" -v sc="$server_cpu" -v lc="$load_cpu" \
    -v sv="$served" -v rs="$redis_server_cpu" -v rl="$redis_load_cpu" -v cores="$(nproc)" 'BEGIN { printf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %s | %.2fx | %.2fx | %.0f (batch %d) | %.0f / %.0f / %.0f | %.0f / %.0f | %.1f | %.0f / %.0f | %.2f | %.2f (%s) |", \
      n, o0, a0, z0, o, a, z, avg, o / o0, z / z0, e, b, 1e6 / o, sv, 1e6 / e, sc, lc, 0.9 * e * (sc + lc) / 1e6, rs, rl, \
      cores * 1e6 / (rs + rl + 1e6 / e) / e, o / e, each }')")
done

# one connection that pipelines its runs (redis-benchmark -P): independent runs start while earlier ones pend, so
# they batch together; each run writes its own output key (__rand_int__), reading the same input
pipelined_rows=()
for backend in TORCH ONNX; do
  key="reference-$backend-b32"
  rps() { # rps DEPTH -> requests/s
    redis-benchmark -p "$port" -c 1 -n "${PIPELINED_REQUESTS:-20000}" -P "$1" -r 1000000 --csv \
      AI.MODELEXECUTE "$key" INPUTS 1 image OUTPUTS 1 "out:__rand_int__" | awk -F'"' 'NR == 2 { print $4 }'
  }
  one=$(rps 1)
  redis-cli -p "$port" AI.INFO "$key" RESETSTAT >/dev/null
  deep=$(rps 32)
  avg=$(redis-cli -p "$port" AI.INFO "$key" EXTENDED | awk 'prev == "avg_batch_size" { print; exit } { prev = $0 }')
  pipelined_rows+=("$(awk -v b="$backend" -v one="$one" -v deep="$deep" -v avg="$avg" \
    'BEGIN { printf "| reference CNN, %s | %.0f | %.0f | %s | %.2fx |", b, one, deep, avg, deep / one }')")
done
redis-cli -p "$port" FLUSHALL >/dev/null

echo
echo "$(nproc) cores; $clients clients, one 1x1x28x28 image per request; latencies in ms. The engine columns: the"
echo "in-process forward of one batch of the size formed (rounded) with the server's $threads thread(s) a forward, as"
echo "samples/s, and per-sample µs served over RESP, in the server's engine (AI.INFO) and in-process. CPU a run: what"
echo "the server process (engine included) and the load generator (redis-benchmark) used, over the runs served; the cores"
echo "that 90% of the in-process rate would take at those costs, against the $(nproc) the two share here. Beside them,"
echo "redis-server answering a SET at $clients clients from the same load generator, measured after the row's rounds: its"
echo "CPU an op and the load generator's, and the ratio a server costing what redis-server costs a request (engine aside)"
echo "would reach with its engine at the in-process speed and every core busy (over 1: the cores do not bound it). The batched"
echo "columns are from the round (of $rounds, each a batched load then the in-process forward) whose RESP / in-process"
echo "ratio was the median; every round's ratio in brackets."
echo
echo "| model | unbatched ops/s | p50 | p99 | BATCHSIZE 32 ops/s | p50 | p99 | avg batch | throughput gain | p99 ratio | in-process samples/s | µs a sample: RESP / server's engine / in-process | CPU µs a run: server / load generator | cores for 90% | redis-server SET, CPU µs an op: server / load generator | RESP / in-process ceiling at redis-server's cost | RESP / in-process (each round) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

echo
echo "One connection pipelining its runs (redis-benchmark -c 1 -P 32, BATCHSIZE 32, each run its own output key):"
echo
echo "| model | -P 1 runs/s | -P 32 runs/s | avg batch at -P 32 | gain |"
echo "|---|---|---|---|---|"
printf '%s\n' "${pipelined_rows[@]}"
