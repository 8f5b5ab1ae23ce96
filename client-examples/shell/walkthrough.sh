#!/usr/bin/env bash
# A redis-cli walkthrough: store a model from a file, set a tensor from values, run, read the result.
# Against a running Inferis: client-examples/shell/walkthrough.sh (INFERIS_PORT, default 6379).
set -euo pipefail
models="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../backends/src/test/resources/models" && pwd)"
cli() { echo "> redis-cli $*" >&2; redis-cli -p "${INFERIS_PORT:-6379}" "$@"; }

# -x sends standard input as the last argument: the model's bytes after BLOB
cli -x AI.MODELSTORE shell:linear TORCH CPU TAG walkthrough BLOB <"$models/linear_relu.pt"
cli AI.MODELGET shell:linear META
# a 2x4 FLOAT tensor from values, row-major
cli AI.TENSORSET shell:x FLOAT 2 4 VALUES 1 2 3 4 -1 -2 -3 -4
cli AI.MODELEXECUTE shell:linear INPUTS 1 shell:x OUTPUTS 1 shell:y
cli AI.TENSORGET shell:y META VALUES
# the same in one round trip, nothing left in the keyspace but what PERSIST names
cli AI.DAGEXECUTE PERSIST 1 shell:y2 '|>' AI.TENSORSET x FLOAT 1 4 VALUES 0.5 0.5 0.5 0.5 \
  '|>' AI.MODELEXECUTE shell:linear INPUTS 1 x OUTPUTS 1 shell:y2 '|>' AI.TENSORGET shell:y2 VALUES
cli AI.INFO shell:linear
echo "walkthrough.sh: OK"
