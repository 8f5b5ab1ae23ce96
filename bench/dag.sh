#!/usr/bin/env bash
# DAG benchmark: script -> CNN -> script on a UINT8 28x28x3 image, as one AI.DAGEXECUTE against the
# same work as separate round trips (TENSORSET, SCRIPTEXECUTE, MODELEXECUTE, SCRIPTEXECUTE, TENSORGET),
# at 1 and 8 concurrent clients, each on keys of its own. Each is measured twice, in the order DAG, trips, DAG, trips,
# after warm-ups of WARMUP_SECONDS (10) of each before the first, and the figures are the means of the two runs:
# measured once, the one measured first ran on less compiled code (at 1 client, a DAG measured first took 824 us p50
# and the round trips after it 758 us; measured again, 560 against 738).
# Beside each: the engine time a pipeline (the model's and the script's AI.INFO durations over the measured runs),
# which bounds the rate at 1e6 / that many pipelines/s, since one worker runs the CPU device's runs.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7431}
seconds=${SECONDS_PER_ROW:-10}
models="$home/backends/src/test/resources/models"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-dag-inferis.log ${SERVER_OPTIONS:-}
redis-cli -p "$port" -x AI.MODELSTORE cnn TORCH CPU BLOB <"$models/mnist_cnn.pt" >/dev/null
redis-cli -p "$port" -x AI.SCRIPTSTORE pipe CPU ENTRY_POINTS 2 pre post SOURCE <"$models/pipeline_script.py" >/dev/null

load() { # load CLIENTS SECONDS COMMANDS... -> "ops p50_ms p99_ms"
  local clients=$1 secs=$2; shift 2
  java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients "$clients" --seconds "$secs" \
    --warmup 0 --blob-bytes 2352 -- "$@" | awk '/^RESULT/ { print $2, $3, $4 }'
}
dag() { load "$1" "$2" AI.DAGEXECUTE ROUTING __client__ \
  '|>' AI.TENSORSET img UINT8 28 28 3 BLOB __blob__ \
  '|>' AI.SCRIPTEXECUTE pipe pre INPUTS 1 img OUTPUTS 1 batch \
  '|>' AI.MODELEXECUTE cnn INPUTS 1 batch OUTPUTS 1 logits \
  '|>' AI.SCRIPTEXECUTE pipe post INPUTS 1 logits OUTPUTS 1 label \
  '|>' AI.TENSORGET label VALUES
}
trips() { load "$1" "$2" AI.TENSORSET img:__client__ UINT8 28 28 3 BLOB __blob__ ';;' \
  AI.SCRIPTEXECUTE pipe pre INPUTS 1 img:__client__ OUTPUTS 1 batch:__client__ ';;' \
  AI.MODELEXECUTE cnn INPUTS 1 batch:__client__ OUTPUTS 1 logits:__client__ ';;' \
  AI.SCRIPTEXECUTE pipe post INPUTS 1 logits:__client__ OUTPUTS 1 label:__client__ ';;' \
  AI.TENSORGET label:__client__ VALUES
}
engine_us() { # the model's and the script's AI.INFO durations together, µs
  for key in cnn pipe; do redis-cli -p "$port" AI.INFO "$key" | awk 'prev == "duration" { print } { prev = $0 }'; done |
    awk '{ sum += $1 } END { print sum }'
}
measure() { # measure dag|trips CLIENTS -> "ops p50_ms p99_ms engine_us_per_pipeline"
  local before ops p50 p99
  before=$(engine_us)
  read -r ops p50 p99 < <("$1" "$2" "$seconds")
  awk -v o="$ops" -v a="$p50" -v z="$p99" -v b="$before" -v e="$(engine_us)" -v s="$seconds" \
    'BEGIN { print o, a, z, (e - b) / (o * s) }'
}

row() { # row CLIENTS NAME RUN1 RUN2: the means of the two runs' figures
  awk -v c="$1" -v n="$2" -v r1="$3" -v r2="$4" 'BEGIN { split(r1, a, ","); split(r2, b, ",");
    o = (a[1] + b[1]) / 2; e = (a[4] + b[4]) / 2
    printf "| %d | %s | %.0f | %.2f | %.2f | %.0f | %.0f | %.0f%% |\n", c, n, o, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2,
      e, 1e6 / e, o * e / 1e4 }'
}

warmup=${WARMUP_SECONDS:-10}
rows=() ratios=()
for clients in 1 8; do
  dag "$clients" "$warmup" >/dev/null
  trips "$clients" "$warmup" >/dev/null
  read -r d1 < <(measure dag "$clients" | tr ' ' ,)
  read -r t1 < <(measure trips "$clients" | tr ' ' ,)
  read -r d2 < <(measure dag "$clients" | tr ' ' ,)
  read -r t2 < <(measure trips "$clients" | tr ' ' ,)
  rows+=("$(row "$clients" "one AI.DAGEXECUTE" "$d1" "$d2")" "$(row "$clients" "five round trips" "$t1" "$t2")")
  ratios+=("$(awk -v c="$clients" -v d1="$d1" -v d2="$d2" -v t1="$t1" -v t2="$t2" 'BEGIN { split(d1, a, ","); split(d2, b, ",");
    split(t1, x, ","); split(t2, y, ","); printf "- %d client%s: DAG / round trips %.2fx", c, c == 1 ? "" : "s", (a[1] + b[1]) / (x[1] + y[1]) }')")
done

echo
echo "$(nproc) cores; one image per pipeline; latencies in ms; each figure the mean of two runs. Engine µs: the model's"
echo "and the script's run time a pipeline (AI.INFO); one worker runs them, so 1e6 / that is the most pipelines/s; engine"
echo "busy: the share of the measured time it computed."
echo
echo "| clients | pipeline | pipelines/s | p50 | p99 | engine µs a pipeline | engine-bound pipelines/s | engine busy |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
printf '%s\n' "${ratios[@]}"
