#!/usr/bin/env bash
# Runs the benchmarks and writes docs/benchmarks.md from the tables they print, with what each measures:
#   bench/report.sh              every benchmark (about half an hour on 2 cores)
#   bench/report.sh foundation   only those named (the other sections keep their figures from docs/benchmarks.md)
# Needs what the benchmarks need: redis-server and redis-benchmark (Debian: redis-server, redis-tools), Python 3.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$home/docs/benchmarks.md"
sections_dir="$home/bench/target/report" # the sections this run measures, each written when its benchmark ends
all=(foundation models batching latency tf dag compare durability persistence monitor tls streams isolation)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")

declare -A title about
title[foundation]="RESP core and tensors against redis-server"
about[foundation]="Inferis beside \`redis-server\` in one run: \`redis-benchmark\` at 50 clients for PING, SET and GET of
1 KiB (unpipelined and \`-P 16\`) and for small tensors against strings of their size, and \`RespLoad\` for a 588 KiB
tensor against a string of the same size; each figure the median of five rounds, the two servers alternating."
title[models]="Model runs over RESP against the in-process forward"
about[models]="\`AI.MODELEXECUTE\` over RESP beside the same model's forward called in-process through the backend
interface: latency at 1 client (the difference is the server's overhead), also with \`run-spin 0\` (workers sleep at once
after each run, event loops while a run is pending), and throughput at 16 clients. Each model's first load warms the
server up for 12 s (at one client the JIT takes some 40,000 runs to settle), as the in-process forward is measured
after 10,000 warm-up calls. Beside each model's runs, a \`PING\` at 1 client to \`redis-server\` and to Inferis with the same
load generator: the round trip any RESP server pays on this machine in that minute, which the overhead includes."
title[batching]="Batching"
about[batching]="The test fixture's MNIST-shaped CNN and the reference CNN at 32 clients (\`redis-benchmark -c 32\`), one image per
request, without and with \`BATCHSIZE 32\`, beside the in-process forward of a batch of the size formed (three rounds of
the two, alternating, the median reported), with the CPU each run cost the server and the load generator on the cores
they share; then one connection pipelining its runs."
title[latency]="A batch delay that tunes itself: LATENCY against fixed MINBATCHTIMEOUTs"
about[latency]="The reference CNN (TorchScript, \`BATCHSIZE 32\`) under open-loop Poisson arrivals (\`PoissonLoad\`: 16
pipelining connections, each request's latency counted from its scheduled start, so a server that falls behind
shows it) at three loads, stored with \`LATENCY 20\`, with \`MINBATCHSIZE 32\` and \`MINBATCHTIMEOUT\` 1, 5 or 10 ms, and
with \`BATCHSIZE\` alone (greedy: whatever waits goes when the worker is free), after a 10 s warm-up at the highest
load. Answered/s counts answers that arrived within the measured seconds."
title[tf]="TensorFlow beside TorchScript and ONNX"
about[tf]="The reference CNN as TorchScript, ONNX and a TF frozen graph with the same weights (\`bench/models/mk_tf_cnn.py\`):
the in-process forward of each engine (after 10,000 calls), \`AI.MODELEXECUTE\` at 1 client (after 12 s of runs), and at 32
clients without and with \`BATCHSIZE 32\`."
title[dag]="A pipeline in one round trip"
about[dag]="Script → CNN → script as one \`AI.DAGEXECUTE\` against the same steps as separate round trips, at 1 and 8
clients, each measured twice (DAG, trips, DAG, trips, after a 10 s warm-up of each), the means reported, with the engine
time a pipeline that bounds both."
title[compare]="Against hand-made Python services"
about[compare]="The same TorchScript CNN (one 1x1x28x28 image in, 10 logits out) served by Inferis (one
\`AI.DAGEXECUTE\` per request, with and without \`BATCHSIZE 32\`, one engine thread per forward), FastAPI + uvicorn
with an asyncio micro-batching queue (2 workers, up to 32 images, 2 ms wait) and Flask + gunicorn (2 workers x 4
threads); \`RespLoad\` and \`HttpLoad\` measure the same way (closed loop, keep-alive, the same payload). RSS counts
every process of a server."
title[durability]="Writes with the append-only file on"
about[durability]="Inferis beside \`redis-server\` with the same \`appendonly yes --appendfsync <mode>\`, SET of a 3 KiB
value under random keys, and Inferis's \`AI.TENSORSET\` of a 3 KiB FLOAT tensor. Every reply leaves only once its
write is in the file (fsynced under \`always\`, one fsync shared by the writes that arrived together)."
title[persistence]="Snapshots and loading"
about[persistence]="SAVE and start-up load of 2 GiB of tensors and a 100 MB model, with RSS, and \`AI.TENSORSET\`
throughput under each \`appendfsync\`."
title[monitor]="What an attached MONITOR costs others"
about[monitor]="Each server with a \`redis-cli MONITOR\` attached that reads everything, against the same server
without it."
title[streams]="Stream workers"
about[streams]="Jobs in a Redis stream (one 1x1x28x28 image of the reference CNN each, as safetensors) answered by one node
and by two nodes of one consumer group (\`StreamLoad\` writes them all at once and waits for every result), beside the
same model over RESP at 32 clients on one node. Every process (redis-server, the nodes, the load) shares the machine."
title[isolation]="What engine-isolation costs"
about[isolation]="Two servers side by side, one with its engines in its own process (the default), one with
\`--engine-isolation yes\` (engines in a process of their own, each run crossing a Unix socket both ways): the reference
CNN at 1 client and at 32 clients with \`BATCHSIZE 32\`, two rounds alternating after a 12 s warm-up, the means."
title[tls]="TLS"
about[tls]="The same commands over TLS and plain TCP."

machine="$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/Mem:/ { print $2 }') GiB"
# section_in_file NAME: that benchmark's section as docs/benchmarks.md has it now (nothing if it has none)
section_in_file() {
  [ -f "$out" ] || return 0
  awk -v head="(\`bench/$1.sh\`)" '/^## / { inside = substr($0, length($0) - length(head) + 1) == head } inside' "$out"
}

rm -rf "$sections_dir"
mkdir -p "$sections_dir"
(cd "$home" && mvn -q -B -DskipTests install)
export INFERIS_SKIP_BUILD=1
for name in "${wanted[@]}"; do
  [ -n "${title[$name]:-}" ] || { echo "no benchmark '$name' (known: ${all[*]})" >&2; exit 2; }
  echo "== bench/$name.sh" >&2
  {
    echo "## ${title[$name]} (\`bench/$name.sh\`)"
    echo
    echo "${about[$name]}"
    echo
    echo "Measured $(date -u +%Y-%m-%d) on $machine."
    bash "$home/bench/$name.sh"
    echo
  } > "$sections_dir/$name.md.tmp"
  mv "$sections_dir/$name.md.tmp" "$sections_dir/$name.md"
done

{
  echo "# Benchmarks"
  echo
  echo "Written by \`bench/report.sh\` from what the benchmarks print; rerun it (or \`bench/report.sh <name>\`) for your"
  echo "machine's figures. Load generators run on the same machine as the servers. Sections measured on different days"
  echo "may come from different machines: two VMs that \`nproc\` and \`/proc/cpuinfo\` describe alike can differ by a factor"
  echo "of five in a loopback round trip, which \`bench/models.sh\` measures beside its runs."
  echo
  for name in "${all[@]}"; do
    if [ -f "$sections_dir/$name.md" ]; then cat "$sections_dir/$name.md"; else section_in_file "$name"; fi
  done
  echo "## Crashes and stops"
  echo
  echo "Not a benchmark: \`DurabilityIT\` (part of the test suite) stops the server at a seeded random moment under"
  echo "8 writers, for each stop (SIGKILL, SIGTERM, SHUTDOWN) and \`appendfsync\`, and checks after a restart that every"
  echo "acknowledged write is there; its log lines give the counts of each run."
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2
