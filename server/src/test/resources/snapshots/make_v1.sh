#!/usr/bin/env bash
# Writes v1.inferis: a snapshot in format version 1 (before models' LATENCY), made by the server of commit a022ca5,
# so that a newer server is seen loading what an older one saved. Run from the repository root:
#   bash server/src/test/resources/snapshots/make_v1.sh   (needs git, Maven, redis-cli; port 7451)
set -euo pipefail
root=$(pwd)
tree=$(mktemp -d)
data=$(mktemp -d)
git worktree add -q "$tree" a022ca5
trap 'redis-cli -p 7451 shutdown nosave >/dev/null 2>&1 || true; git -C "$root" worktree remove --force "$tree"' EXIT
# package, not install: the local repository keeps this checkout's artifacts
(cd "$tree" && mvn -B -q package -DskipTests -pl protocol,backends,server -am)
INFERIS_SKIP_BUILD=1 "$tree/bin/inferis-server" --port 7451 --dir "$data" --save "" >"$data/server.log" 2>&1 &
for _ in $(seq 100); do [ "$(redis-cli -p 7451 ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
redis-cli -p 7451 -x AI.MODELSTORE linear TORCH CPU TAG v1 BATCHSIZE 4 MINBATCHSIZE 2 MAXQUEUE 10 BLOB \
  <"$root/backends/src/test/resources/models/linear_relu.pt"
redis-cli -p 7451 AI.TENSORSET x FLOAT 1 4 VALUES 1 -2 3 0.5
redis-cli -p 7451 SAVE
cp "$data/dump.inferis" "$root/server/src/test/resources/snapshots/v1.inferis"
