#!/usr/bin/env bash
# DAG benchmark: script -> CNN -> script on a UINT8 28x28x3 image, as one AI.DAGEXECUTE against the
# same work as separate round trips (TENSORSET, SCRIPTEXECUTE, MODELEXECUTE, SCRIPTEXECUTE, TENSORGET),
# at 8 concurrent clients, each on keys of its own. Each is measured twice, in the order DAG, trips, DAG, trips, after
# warm-ups of WARMUP_SECONDS (10) on the first two, and the figures are the means of the two runs: measured once, the
# one measured first ran on less compiled code (at 1 client, a DAG measured first took 824 us p50 and the round trips
# after it 758 us; measured again, 560 against 738).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7431}
seconds=${SECONDS_PER_ROW:-10}
clients=8
models="$home/backends/src/test/resources/models"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
# shellcheck disable=SC2086
start_inferis "$port" /tmp/bench-dag-inferis.log ${SERVER_OPTIONS:-}
redis-cli -p "$port" -x AI.MODELSTORE cnn TORCH CPU BLOB <"$models/mnist_cnn.pt" >/dev/null
redis-cli -p "$port" -x AI.SCRIPTSTORE pipe CPU ENTRY_POINTS 2 pre post SOURCE <"$models/pipeline_script.py" >/dev/null

load() { # load WARMUP_SECONDS COMMANDS... -> "ops p50_ms p99_ms"
  local warmup=$1; shift
  java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients "$clients" --seconds "$seconds" \
    --warmup "$warmup" --blob-bytes 2352 -- "$@" | awk '/^RESULT/ { print $2, $3, $4 }'
}
dag() { load "$1" AI.DAGEXECUTE ROUTING __client__ \
  '|>' AI.TENSORSET img UINT8 28 28 3 BLOB __blob__ \
  '|>' AI.SCRIPTEXECUTE pipe pre INPUTS 1 img OUTPUTS 1 batch \
  '|>' AI.MODELEXECUTE cnn INPUTS 1 batch OUTPUTS 1 logits \
  '|>' AI.SCRIPTEXECUTE pipe post INPUTS 1 logits OUTPUTS 1 label \
  '|>' AI.TENSORGET label VALUES
}
trips() { load "$1" AI.TENSORSET img:__client__ UINT8 28 28 3 BLOB __blob__ ';;' \
  AI.SCRIPTEXECUTE pipe pre INPUTS 1 img:__client__ OUTPUTS 1 batch:__client__ ';;' \
  AI.MODELEXECUTE cnn INPUTS 1 batch:__client__ OUTPUTS 1 logits:__client__ ';;' \
  AI.SCRIPTEXECUTE pipe post INPUTS 1 logits:__client__ OUTPUTS 1 label:__client__ ';;' \
  AI.TENSORGET label:__client__ VALUES
}
warmup=${WARMUP_SECONDS:-10}
read -r dag_ops1 dag_p501 dag_p991 < <(dag "$warmup")
read -r trip_ops1 trip_p501 trip_p991 < <(trips "$warmup")
read -r dag_ops2 dag_p502 dag_p992 < <(dag 2)
read -r trip_ops2 trip_p502 trip_p992 < <(trips 2)
mean() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + b) / 2 }'; }
dag_ops=$(mean "$dag_ops1" "$dag_ops2") dag_p50=$(mean "$dag_p501" "$dag_p502") dag_p99=$(mean "$dag_p991" "$dag_p992")
trip_ops=$(mean "$trip_ops1" "$trip_ops2") trip_p50=$(mean "$trip_p501" "$trip_p502")
trip_p99=$(mean "$trip_p991" "$trip_p992")

echo
echo "$(nproc) cores; $clients clients; one image per pipeline; latencies in ms; each figure the mean of two runs"
echo
echo "| pipeline | pipelines/s | p50 | p99 |"
echo "|---|---|---|---|"
printf '| one AI.DAGEXECUTE | %.0f | %.2f | %.2f |\n' "$dag_ops" "$dag_p50" "$dag_p99"
printf '| five round trips | %.0f | %.2f | %.2f |\n' "$trip_ops" "$trip_p50" "$trip_p99"
awk -v d="$dag_ops" -v t="$trip_ops" 'BEGIN { printf "\nDAG / round trips: %.2fx\n", d / t }'
