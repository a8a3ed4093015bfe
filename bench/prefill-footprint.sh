#!/usr/bin/env bash
# Disk and page cache that a broker's prefill takes for many lightly written partitions:
#   bench/prefill-footprint.sh [PARTITIONS] [RECORDS]     default: 100 partitions, 20,000 records of 1 KiB
# Starts bin/sluice-broker on the default config (127.0.0.1:9292, which must be free) with a scratch log dir,
# creates topic t, produces with bin/sluice-perf, waits 3 s for the background prefill, then prints the log
# dirs' allocated size (du), the size of t-0 and the machine's Dirty page cache. Build first:
# mvn -B -q -DskipTests package
set -euo pipefail
cd "$(dirname "$0")/.."
partitions="${1:-100}"
records="${2:-20000}"
dir="$(mktemp -d /tmp/sluice-footprint-XXXXXX)"
bin/sluice-broker config/broker.properties --override log.dirs="$dir/logs" > "$dir/broker.out" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  (echo > /dev/tcp/127.0.0.1/9292) 2>/dev/null && break
  kill -0 $broker 2>/dev/null || { cat "$dir/broker.out"; exit 1; }
  sleep 0.5
done
bin/sluice-topics --bootstrap 127.0.0.1:9292 create --topic t --partitions "$partitions" > /dev/null
bin/sluice-perf produce --bootstrap 127.0.0.1:9292 --topic t --record-size 1024 --records "$records" > "$dir/perf.out"
sleep 3
echo "log dirs: $(du -sm "$dir/logs" | cut -f1) MiB allocated;" \
     "t-0: $(du -sk "$dir/logs/t-0" | cut -f1) KiB;" \
     "Dirty: $(awk '/^Dirty:/ {print $2}' /proc/meminfo) kB"
