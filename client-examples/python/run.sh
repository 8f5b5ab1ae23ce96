#!/usr/bin/env bash
# Runs the Python examples against a running Inferis (INFERIS_HOST / INFERIS_PORT, default 127.0.0.1:6379).
# The first run makes a virtualenv here with redis-py and NumPy, from wherever pip is configured to install
# (PyPI by default; PIP_INDEX_URL or pip.conf choose another index). Needs Python 3 with venv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
# a virtualenv left half-made by an interrupted or failed install is made again
if ! "$venv/bin/python" -c "import redis, numpy" >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
for example in models.py dag.py queue_worker.py; do
  echo "== $example"
  "$venv/bin/python" "$here/$example"
done
