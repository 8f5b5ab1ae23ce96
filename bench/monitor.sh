#!/usr/bin/env bash
# What an attached MONITOR costs other clients, Inferis beside redis-server: SET of a 1 MB value (1 client) and
# PING (50 clients), each without and with a redis-cli MONITOR attached that reads everything.
# Prints a markdown table; goal: the cost on Inferis (with / without) no worse than on Redis.
# Needs redis-server and redis-tools.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
redis_port=${REDIS_PORT:-7420}
inferis_port=${INFERIS_PORT:-7421}
data=$(mktemp -d)

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
trap 'stop_servers; rm -rf "$data"' EXIT
start_redis "$redis_port" "$data/redis.log" --dir "$data"
start_inferis "$inferis_port" "$data/inferis.log" --dir "$data"

rps() { # rps PORT ARGS... -> requests per second
  local port=$1; shift
  redis-benchmark -p "$port" --csv "$@" 2>/dev/null | awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}
measure() { # measure PORT -> "set_1mb ping"
  echo "$(rps "$1" -c 1 -n 300 -t set -d 1000000) $(rps "$1" -c 50 -n 200000 -t ping)"
}

echo "| server | SET 1 MB/s, alone | with MONITOR | ratio | PING/s at 50 clients, alone | with MONITOR | ratio |"
echo "|---|---|---|---|---|---|---|"
for name in Redis Inferis; do
  port=$redis_port; [ "$name" = Inferis ] && port=$inferis_port
  measure "$port" >/dev/null # warm-up
  read -r set_alone ping_alone <<<"$(measure "$port")"
  redis-cli -p "$port" MONITOR >/dev/null &
  monitor=$!
  sleep 0.5
  read -r set_watched ping_watched <<<"$(measure "$port")"
  kill "$monitor"; wait "$monitor" 2>/dev/null || true
  printf '| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n' "$name" "$set_alone" "$set_watched" \
    "$(echo "$set_watched / $set_alone" | bc -l)" "$ping_alone" "$ping_watched" \
    "$(echo "$ping_watched / $ping_alone" | bc -l)"
done
