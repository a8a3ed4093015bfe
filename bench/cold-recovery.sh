#!/usr/bin/env bash
# Reopen time of a partition after an unclean stop with a COLD page cache (needs root for drop_caches):
#   bench/cold-recovery.sh [MiB] [SEGMENT_BYTES]     default: 992 MiB in one 1 GiB segment (a full scan)
# Build first: mvn -B -q -DskipTests package -pl bench -am
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-992}"
segment="${2:-1073741824}"
dir="$(mktemp -d /tmp/sluice-cold-XXXXXX)"
trap 'rm -rf "$dir"' EXIT
jar=bench/target/benchmarks.jar
java -Xmx1g -cp "$jar" io.sluice.bench.ColdRecovery write "$dir" "$mib" "$segment"
sync
echo 3 > /proc/sys/vm/drop_caches
java -Xmx1g -cp "$jar" io.sluice.bench.ColdRecovery reopen "$dir" "$segment"
