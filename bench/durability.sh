#!/usr/bin/env bash
# Durability benchmark: writes per second with the append-only file on, Inferis beside redis-server with the same
# appendfsync, 50 clients, in one run with interleaved rounds (redis, inferis, redis, inferis, ...):
#   SET of a 3 KiB value (random keys) on both, and Inferis's AI.TENSORSET of a 3 KiB FLOAT BLOB.
# Prints a markdown table with the median of the rounds and the ratio; goal: Inferis >= Redis on every row.
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_port=${REDIS_PORT:-7410}
inferis_port=${INFERIS_PORT:-7411}
requests=${REQUESTS:-120000} # rounds of 40,000 lasted 1-3 s on a VM whose speed changes over seconds
rounds=${ROUNDS:-3}
clients=50
data=$(mktemp -d)
payload=$(head -c 3136 /dev/zero | tr '\0' a)

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
trap 'stop_servers; rm -rf "$data"' EXIT

rps() { # rps PORT COMMAND... -> requests per second of one redis-benchmark run
  local port=$1; shift
  redis-benchmark -p "$port" -c "$clients" -n "$requests" -r 1000000 --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "Writes/s at $clients clients, $requests requests a round, median of $rounds interleaved rounds ($(nproc) cores)"
echo
echo "| appendfsync | Redis SET | Inferis SET | Inferis / Redis | Inferis AI.TENSORSET 3 KiB | TENSORSET / Redis SET |"
echo "|---|---|---|---|---|---|"
for mode in always everysec no; do
  rm -rf "${data:?}"/*
  mkdir -p "$data/redis" "$data/inferis"
  start_redis "$redis_port" "$data/redis.log" --dir "$data/redis" --appendonly yes --appendfsync "$mode"
  start_inferis "$inferis_port" "$data/inferis.log" --dir "$data/inferis" --appendonly yes --appendfsync "$mode"
  rps "$inferis_port" SET "warm:__rand_int__" "$payload" >/dev/null # JIT warm-up, not counted
  redis_set=""; inferis_set=""; inferis_tensor=""
  for _ in $(seq "$rounds"); do
    redis_set+=" $(rps "$redis_port" SET "k:__rand_int__" "$payload")"
    inferis_set+=" $(rps "$inferis_port" SET "k:__rand_int__" "$payload")"
    inferis_tensor+=" $(rps "$inferis_port" AI.TENSORSET "t:__rand_int__" FLOAT 1 1 28 28 BLOB "$payload")"
  done
  r=$(echo "$redis_set" | median); i=$(echo "$inferis_set" | median); t=$(echo "$inferis_tensor" | median)
  printf '| %s | %.0f | %.0f | %.2f | %.0f | %.2f |\n' "$mode" "$r" "$i" "$(echo "$i / $r" | bc -l)" "$t" \
    "$(echo "$t / $r" | bc -l)"
  stop_servers
done
