#!/usr/bin/env bash
# Builds and runs the Java example against a running Inferis: client-examples/java/run.sh [redis://host:port]
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
(cd "$home" && mvn -q -B -DskipTests install -pl client-examples/java -am)
java -cp "$home/client-examples/java/target/inferis-java-example.jar:$home/client-examples/java/target/lib/*" \
  org.inferis.examples.Example "${1:-redis://127.0.0.1:${INFERIS_PORT:-6379}}" "$home/backends/src/test/resources/models"
