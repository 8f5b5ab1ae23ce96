#!/usr/bin/env bash
# TLS benchmark: PING and AI.TENSORGET (a FLOAT 1x1x28x28 tensor) over TLS against plain, same run,
# redis-benchmark at 50 clients. Makes a throw-away self-signed certificate with openssl.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7441}
tls_port=${INFERIS_TLS_PORT:-7442}
requests=${REQUESTS:-200000}
certs=$(mktemp -d)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$certs/key.pem" -out "$certs/cert.pem" -days 1 \
  -subj /CN=localhost >/dev/null 2>&1

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
start_inferis "$port" /tmp/bench-tls-inferis.log --tls-port "$tls_port" \
  --tls-cert-file "$certs/cert.pem" --tls-key-file "$certs/key.pem"
redis-cli -p "$port" AI.TENSORSET t FLOAT 1 1 28 28 >/dev/null

rps() { # rps PORT [tls args] -- command...
  redis-benchmark -c 50 -n "$requests" --csv "$@" 2>/dev/null | awk -F'","' 'NR==2 { gsub(/"/, "", $2); print $2 }'
}
tls=(--tls --cacert "$certs/cert.pem" --sni localhost)
rps -p "$port" -t ping_mbulk >/dev/null # warm-up
rps -p "$tls_port" "${tls[@]}" -t ping_mbulk >/dev/null

echo
echo "$(nproc) cores; 50 clients, $requests requests a row"
echo
echo "| command | plain ops/s | TLS ops/s | TLS / plain |"
echo "|---|---|---|---|"
for row in "PING:-t ping_mbulk" "AI.TENSORGET t BLOB (3 KiB):AI.TENSORGET t BLOB"; do
  name=${row%%:*}
  # shellcheck disable=SC2086
  plain=$(rps -p "$port" ${row#*:})
  # shellcheck disable=SC2086
  secure=$(rps -p "$tls_port" "${tls[@]}" ${row#*:})
  awk -v n="$name" -v p="$plain" -v s="$secure" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", n, p, s, s / p }'
done
rm -rf "$certs"
