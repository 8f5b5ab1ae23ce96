#!/usr/bin/env bash
# Runs the Python examples against a running Inferis (INFERIS_HOST / INFERIS_PORT, default 127.0.0.1:6379).
# The first run makes a virtualenv here with redis-py and NumPy from the local package index.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q --index-url "${PIP_INDEX_URL:-file:///opt/pypi/simple}" -r "$here/requirements.txt"
fi
for example in models.py dag.py queue_worker.py; do
  echo "== $example"
  "$here/.venv/bin/python" "$here/$example"
done
