#!/usr/bin/env bash
# Three Sluice brokers against three Apache Kafka 4.4 brokers on this machine: RF 3, min.insync.replicas=2,
# acks=all (idempotent producers on both sides), 1 KiB records; same workloads, same run, alternating clusters.
#
#   bench/compare-kafka-cluster.sh [ROUNDS]          (default 3 rounds)
#
# Each round, for Kafka (../shared/bench/kafka/run-cluster.sh, Kafka's own brokers and ProducerPerformance) and
# then for Sluice (three bin/sluice-broker processes, every one a controller voter; bin/sluice-perf): start a
# fresh cluster, warm it up (WARMUP_RECORDS produced to a 3-partition RF 3 topic, not reported), then
#   p1-default   RECORDS x 1 KiB, 1 partition, client defaults (batch.size 16 KiB, linger.ms 5)
#   p1-256k      the same with batch.size=262144
#   p3-default   3 partitions (one led by each broker), client defaults
#   p3-256k      3 partitions, batch.size=262144
#   p3-rate      3 partitions, client defaults, RATE records/s (8000: 7.8 MiB/s; both clusters sustain it on this
#                machine, Kafka did not sustain 20000), RATE_RECORDS records: latency when the rate is not the limit
# each on a fresh topic, and stop the cluster. Reported per case: client MiB/s (2^20), produce latency p99 (ms,
# send to acknowledgement, as each tool measures it), and the CPU seconds of the three brokers together per GiB
# produced (user+sys from /proc/PID/stat). The summary prints the medians over the rounds and Sluice/Kafka ratios.
#
# Env: RECORDS (1000000), WARMUP_RECORDS (500000), RATE (8000), RATE_RECORDS (240000), CASES (a regex over the case names, default all),
# RUN_ROOT (/tmp/sluice-compare-cluster), KAFKA_BENCH (the Kafka bench folder), JAVA_HOME (both clusters).
# Needs the Kafka jars: $KAFKA_BENCH/fetch.sh once.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
ROUNDS="${1:-3}"
RECORDS="${RECORDS:-1000000}"
WARMUP_RECORDS="${WARMUP_RECORDS:-500000}"
CASES="${CASES:-.}"
RATE="${RATE:-8000}"
RATE_RECORDS="${RATE_RECORDS:-240000}"
RUN_ROOT="${RUN_ROOT:-/tmp/sluice-compare-cluster}"
KAFKA_BENCH="${KAFKA_BENCH:-$root/../shared/bench/kafka}"
export RUN_ROOT
RESULTS="$RUN_ROOT/results.tsv"
HZ=$(getconf CLK_TCK)
KAFKA_BS=127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29292
SLUICE_PORTS=(39292 39392 39492)
SLUICE_BS=127.0.0.1:39292,127.0.0.1:39392,127.0.0.1:39492
SLUICE_VOTERS=1@127.0.0.1:39294,2@127.0.0.1:39394,3@127.0.0.1:39494
mkdir -p "$RUN_ROOT"
[[ -f "$RESULTS" ]] || printf 'system\tround\tcase\tMiB_per_s\tp99_ms\tbrokers_cpu_s\tGiB\tcpu_s_per_GiB\n' > "$RESULTS"

cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }

sluice_pids=()
sluice_start() {
  rm -rf "$RUN_ROOT/sluice"
  mkdir -p "$RUN_ROOT/sluice"
  sluice_pids=()
  local n port
  for n in 1 2 3; do
    port=${SLUICE_PORTS[$((n - 1))]}
    "$root/bin/sluice-broker" --override "node.id=$n" --override "listeners=127.0.0.1:$port" \
      --override "log.dirs=$RUN_ROOT/sluice/broker-$n" --override "metrics.port=$((port + 1))" \
      --override "controller.quorum.voters=$SLUICE_VOTERS" --override default.replication.factor=3 \
      > "$RUN_ROOT/sluice/broker-$n.log" 2>&1 &
    sluice_pids+=($!)
  done
  for n in 1 2 3; do
    for _ in $(seq 1 240); do
      grep -q "ready on" "$RUN_ROOT/sluice/broker-$n.log" && break
      kill -0 "${sluice_pids[$((n - 1))]}" 2>/dev/null || { cat "$RUN_ROOT/sluice/broker-$n.log" >&2; exit 1; }
      sleep 0.5
    done
    grep -q "ready on" "$RUN_ROOT/sluice/broker-$n.log" || { echo "sluice broker $n not ready" >&2; exit 1; }
  done
}
sluice_stop() {
  kill -TERM "${sluice_pids[@]}" 2>/dev/null || true
  wait "${sluice_pids[@]}" 2>/dev/null || true
  rm -rf "$RUN_ROOT/sluice"
}
sluice_topic() {
  "$root/bin/sluice-topics" --bootstrap "$SLUICE_BS" create --topic "$1" --partitions "$2" --replication-factor 3 \
    --config min.insync.replicas=2 > /dev/null
}

kafka_start() { "$KAFKA_BENCH/run-cluster.sh" start > "$RUN_ROOT/kafka-start.log" 2>&1; }
kafka_stop() { "$KAFKA_BENCH/run-cluster.sh" clean > /dev/null 2>&1 || true; }
kafka_topic() { "$KAFKA_BENCH/run-cluster.sh" create-topic "$1" "$2" 3 min.insync.replicas=2 > /dev/null; }

# run SYSTEM ROUND CASE BYTES -- command...: runs the command, prints and records MiB/s, p99 and broker CPU.
run() {
  local system="$1" round="$2" case="$3" bytes="$4"; shift 5
  local pids out mibs p99 c0 c1
  if [[ "$system" == kafka ]]; then pids=$("$KAFKA_BENCH/run-cluster.sh" pids); else pids="${sluice_pids[*]}"; fi
  sync; sleep 2
  # shellcheck disable=SC2086
  c0=$(cpu_ticks $pids)
  out=$("$@" 2>"$RUN_ROOT/last.err") || { echo "FAILED: $*" >&2; cat "$RUN_ROOT/last.err" >&2; return 1; }
  # shellcheck disable=SC2086
  c1=$(cpu_ticks $pids)
  if [[ "$system" == kafka ]]; then
    local last
    last=$(echo "$out" | grep -E 'records sent, .*99th' | tail -1)
    # ProducerPerformance's "MB" is 2^20 bytes (it divides by 1048576.0): its MB/sec is already MiB/s.
    mibs=$(echo "$last" | sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/')
    p99=$(echo "$last" | sed -E 's/.* ([0-9.]+) ms 99th.*/\1/')
  else
    mibs=$(echo "$out" | sed -E 's/.*"mib_per_sec":([0-9.]+).*/\1/')
    p99=$(echo "$out" | sed -E 's/.*"p99":([0-9.]+).*/\1/')
  fi
  awk -v s="$system" -v r="$round" -v c="$case" -v m="$mibs" -v l="$p99" -v t=$((c1 - c0)) -v hz="$HZ" -v b="$bytes" \
    'BEGIN { cpu = t / hz; gib = b / 1073741824; printf "%s\t%s\t%s\t%.1f\t%.1f\t%.2f\t%.3f\t%.3f\n", s, r, c, m, l, cpu, gib, cpu / gib }' \
    | tee -a "$RESULTS"
}

# case NAME PARTITIONS BATCH_SIZE RECORDS_PER_SEC (-1: unthrottled)
CASE_LIST=("p1-default 1 16384 -1" "p1-256k 1 262144 -1" "p3-default 3 16384 -1" "p3-256k 3 262144 -1"
  "p3-rate 3 16384 $RATE")
records_of() { if [[ "$1" == -1 ]]; then echo "$RECORDS"; else echo "$RATE_RECORDS"; fi; }
trap 'kafka_stop; sluice_stop' EXIT
for round in $(seq 1 "$ROUNDS"); do
  kafka_start
  kafka_topic warmup 3
  "$KAFKA_BENCH/perf.sh" producer "$KAFKA_BS" warmup "$WARMUP_RECORDS" 1024 all > /dev/null 2>&1
  for c in "${CASE_LIST[@]}"; do
    read -r name parts batch rate <<< "$c"
    [[ "$name" =~ $CASES ]] || continue
    n=$(records_of "$rate")
    kafka_topic "$name" "$parts"
    PRODUCER_THROUGHPUT="$rate" run kafka "$round" "$name" $((n * 1024)) -- \
      "$KAFKA_BENCH/perf.sh" producer "$KAFKA_BS" "$name" "$n" 1024 all linger.ms=5 "batch.size=$batch"
  done
  kafka_stop

  sluice_start
  perf=("$root/bin/sluice-perf" produce --bootstrap "$SLUICE_BS" --record-size 1024 --acks all)
  sluice_topic warmup 3
  "${perf[@]}" --topic warmup --records "$WARMUP_RECORDS" > /dev/null 2>&1
  for c in "${CASE_LIST[@]}"; do
    read -r name parts batch rate <<< "$c"
    [[ "$name" =~ $CASES ]] || continue
    n=$(records_of "$rate")
    sluice_topic "$name" "$parts"
    run sluice "$round" "$name" $((n * 1024)) -- "${perf[@]}" --topic "$name" --records "$n" \
      --batch-size "$batch" --linger-ms 5 --throughput "$rate" --json
  done
  sluice_stop
done

echo
echo "medians over the rounds in $RESULTS:"
awk -F'\t' 'NR > 1 { k = $3 "\t" $1; m[k] = m[k] " " $4; l[k] = l[k] " " $5; c[k] = c[k] " " $8; cases[$3] = 1 }
  function median(list,   a, n, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { printf "%-12s %12s %12s %7s %12s %12s %7s %14s %14s\n", "case", "sluice MiB/s", "kafka MiB/s", "ratio", "sluice p99", "kafka p99", "ratio", "sluice CPU/GiB", "kafka CPU/GiB"
    for (cs in cases) { sm = median(m[cs "\tsluice"]); km = median(m[cs "\tkafka"]); sl = median(l[cs "\tsluice"]); kl = median(l[cs "\tkafka"])
      sc = median(c[cs "\tsluice"]); kc = median(c[cs "\tkafka"])
      printf "%-12s %12.1f %12.1f %7.2f %12.1f %12.1f %7.2f %14.2f %14.2f\n", cs, sm, km, (km > 0 ? sm / km : 0), sl, kl, (kl > 0 ? sl / kl : 0), sc, kc } }' "$RESULTS"
