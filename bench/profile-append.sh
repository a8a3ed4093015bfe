#!/usr/bin/env bash
# Where the time of one append goes: samples a LogAppendBenchmark method's timed loop with Linux perf.
#   bench/profile-append.sh [METHOD]     default: logAppend (any LogAppendBenchmark method name)
# Runs the method in one JMH fork (5 warm-up, 30 measured iterations; frame pointers kept so that perf can
# walk the Java stack), records the fork with perf at 1999 Hz from its first measured iteration on, and prints,
# for the samples of the benchmark thread inside the timed loop only (a stack through the method's appendAll,
# never through the untimed setup), the share of each innermost frame and of all kernel frames. JIT stubs are
# named by their caller: in logAppend the CRC32C stub is called from Log.appendAsLeader (validation), the copy
# stub from Log.append (Segment.append inlined); the kernel frames are the page faults of the mapping.
# Needs perf (kernel.perf_event_paranoid <= 2 for a process of your own) and the bench jar:
# mvn -B -q -DskipTests package
set -euo pipefail
cd "$(dirname "$0")/.."
method="${1:-logAppend}"
command -v perf > /dev/null || { echo "perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
dir="$(mktemp -d /tmp/sluice-profile-XXXXXX)"
trap 'rm -rf "$dir"; [ -z "${fork:-}" ] || rm -f "/tmp/perf-$fork.map"' EXIT
java -jar bench/target/benchmarks.jar "LogAppendBenchmark\.$method\$" -f 1 -wi 5 -i 30 \
  -jvmArgsAppend "-Xms2g -Xmx2g -XX:+AlwaysPreTouch -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer" \
  > "$dir/jmh.out" 2>&1 &
jmh=$!
# From the first measured iteration until the fork exits.
until grep -q '^Iteration   1:' "$dir/jmh.out"; do
  kill -0 $jmh 2> /dev/null || { cat "$dir/jmh.out"; exit 1; }
  sleep 0.2
done
fork=$(pgrep -P $jmh -f 'org.openjdk.jmh.runner.ForkedMain' | head -1 || true) # this run's fork, not another's
[ -n "$fork" ] || { cat "$dir/jmh.out"; exit 1; }
perf record -q -F 1999 -g -p "$fork" -o "$dir/perf.data" > /dev/null 2>&1
wait $jmh
grep -E "^LogAppendBenchmark\.$method " "$dir/jmh.out" || { tail -20 "$dir/jmh.out"; exit 1; }
# The perf map the fork wrote at exit names its JIT-compiled code.
perf script -i "$dir/perf.data" -F tid,ip,sym,dso 2> /dev/null | awk '
  BEGIN { RS = ""; FS = "\n" }
  {
    inLoop = 0
    for (i = 2; i <= NF; i++) if ($i ~ /LogAppendBenchmark.*appendAll/) inLoop = 1
    if (!inLoop) next
    leaf = frame($2)
    if ($2 ~ /kernel\.kallsyms/) { kernel++; leaf = "[k] " leaf }
    else if (leaf ~ /^StubRoutines/) leaf = leaf " <- " substr(frame($3), 1, 70)
    count[leaf]++; total++
  }
  function frame(line) { sub(/^[ \t]*[0-9a-f]+ /, "", line); sub(/ \([^()]*\)$/, "", line); return line }
  END {
    if (total == 0) { print "no samples in the timed loop" > "/dev/stderr"; exit 1 }
    printf "%d samples in the timed loop; all kernel frames together: %.1f%%\n", total, 100 * kernel / total
    for (k in count) printf "%6.1f%%  %s\n", 100 * count[k] / total, k | "sort -rn | head -25"
  }'
