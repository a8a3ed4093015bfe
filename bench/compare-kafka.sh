#!/usr/bin/env bash
# Sluice against Apache Kafka 4.4 on this machine, same workloads, same run, alternating brokers.
#
#   bench/compare-kafka.sh [ROUNDS]          (default 3 rounds)
#
# Each round, for Kafka (../shared/bench/kafka, Kafka's own broker and perf tools) and then for Sluice
# (bin/sluice-broker, bin/sluice-perf): start a fresh single-node broker, warm it up (1M records produced
# and read back three times, not reported: a thousand fetches are too few for the JIT to have compiled the
# fetch path of either broker), then
#   produce-default  2M x 1 KiB records, 1 partition, acks=1, client defaults (batch.size 16 KiB, linger.ms 5)
#   produce-256k     the same with batch.size=262144
#   consume-1st      read the produce-default topic back from the start (page cache), default fetch settings
#   consume-3rd      the same read, the third time in a row (the second is not reported): both JITs are
#                    still compiling the fetch path during the first reads, so this is the steadier number
# and stop it. Reported per case: client MiB/s (2^20) and broker CPU seconds (user+sys from /proc/PID/stat)
# per GiB moved. The summary prints the medians over the rounds and the Sluice/Kafka ratios.
#
# Env: RECORDS (2000000), WARMUP_RECORDS (1000000), RUN_ROOT (/tmp/sluice-compare), KAFKA_BENCH (the Kafka
# bench folder), JAVA_HOME (used for both brokers). Needs the Kafka jars: $KAFKA_BENCH/fetch.sh once.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
ROUNDS="${1:-3}"
RECORDS="${RECORDS:-2000000}"
WARMUP_RECORDS="${WARMUP_RECORDS:-1000000}"
RUN_ROOT="${RUN_ROOT:-/tmp/sluice-compare}"
KAFKA_BENCH="${KAFKA_BENCH:-$root/../shared/bench/kafka}"
export RUN_ROOT
RESULTS="$RUN_ROOT/results.tsv"
HZ=$(getconf CLK_TCK)
KAFKA_BS=127.0.0.1:19092
SLUICE_BS=127.0.0.1:19292
mkdir -p "$RUN_ROOT"
[[ -f "$RESULTS" ]] || printf 'system\tround\tcase\tMiB_per_s\tbroker_cpu_s\tGiB\tcpu_s_per_GiB\n' > "$RESULTS"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sluice_pid=""
sluice_start() {
  rm -rf "$RUN_ROOT/sluice-data"
  "$root/bin/sluice-broker" --override "listeners=$SLUICE_BS" --override "log.dirs=$RUN_ROOT/sluice-data" \
    --override metrics.port=19293 > "$RUN_ROOT/sluice-broker.log" 2>&1 &
  sluice_pid=$!
  for _ in $(seq 1 120); do
    grep -q "ready on" "$RUN_ROOT/sluice-broker.log" && return 0
    kill -0 "$sluice_pid" 2>/dev/null || { cat "$RUN_ROOT/sluice-broker.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "sluice broker not ready" >&2; exit 1
}
sluice_stop() { kill -TERM "$sluice_pid" 2>/dev/null || true; wait "$sluice_pid" 2>/dev/null || true; rm -rf "$RUN_ROOT/sluice-data"; }
# The broker's java process (bin/sluice-broker execs java, so $! is it).
sluice_broker_pid() { echo "$sluice_pid"; }

kafka_start() { "$KAFKA_BENCH/run-single.sh" start > "$RUN_ROOT/kafka-start.log" 2>&1; }
kafka_stop() { "$KAFKA_BENCH/run-single.sh" clean > /dev/null 2>&1 || true; }

# run SYSTEM ROUND CASE BYTES -- command...: runs the command, prints and records MiB/s and broker CPU.
run() {
  local system="$1" round="$2" case="$3" bytes="$4"; shift 5
  local pid out mibs c0 c1
  if [[ "$system" == kafka ]]; then pid=$("$KAFKA_BENCH/run-single.sh" pid); else pid=$(sluice_broker_pid); fi
  sync; sleep 2
  c0=$(cpu_ticks "$pid")
  out=$("$@" 2>"$RUN_ROOT/last.err") || { echo "FAILED: $*" >&2; cat "$RUN_ROOT/last.err" >&2; return 1; }
  c1=$(cpu_ticks "$pid")
  if [[ "$system" == kafka ]]; then
    # Kafka's perf tools print "MB" for 2^20 bytes (ProducerPerformance and ConsumerPerformance divide by
    # 1048576.0): their MB/sec is already MiB/s, the unit sluice-perf reports.
    if [[ "$case" == consume* ]]; then
      mibs=$(echo "$out" | grep -E '^[0-9]{4}-' | tail -1 | awk -F', ' '{print $4}')
    else
      mibs=$(echo "$out" | grep -E 'records sent, .*99\.9th' | tail -1 | sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/')
    fi
  else
    mibs=$(echo "$out" | sed -E 's/.*"mib_per_sec":([0-9.]+).*/\1/')
  fi
  awk -v s="$system" -v r="$round" -v c="$case" -v m="$mibs" -v t=$((c1 - c0)) -v hz="$HZ" -v b="$bytes" \
    'BEGIN { cpu = t / hz; gib = b / 1073741824; printf "%s\t%s\t%s\t%.1f\t%.2f\t%.3f\t%.3f\n", s, r, c, m, cpu, gib, cpu / gib }' \
    | tee -a "$RESULTS"
}

bytes=$((RECORDS * 1024))
for round in $(seq 1 "$ROUNDS"); do
  kafka_start
  "$KAFKA_BENCH/run-single.sh" create-topic warmup 1 1 > /dev/null
  "$KAFKA_BENCH/perf.sh" producer "$KAFKA_BS" warmup "$WARMUP_RECORDS" 1024 1 > /dev/null 2>&1
  for _ in 1 2 3; do "$KAFKA_BENCH/perf.sh" consumer "$KAFKA_BS" warmup "$WARMUP_RECORDS" > /dev/null 2>&1; done
  "$KAFKA_BENCH/run-single.sh" create-topic pd 1 1 > /dev/null
  "$KAFKA_BENCH/run-single.sh" create-topic p256 1 1 > /dev/null
  run kafka "$round" produce-default "$bytes" -- "$KAFKA_BENCH/perf.sh" producer "$KAFKA_BS" pd "$RECORDS" 1024 1
  run kafka "$round" produce-256k "$bytes" -- "$KAFKA_BENCH/perf.sh" producer "$KAFKA_BS" p256 "$RECORDS" 1024 1 linger.ms=5 batch.size=262144
  run kafka "$round" consume-1st "$bytes" -- "$KAFKA_BENCH/perf.sh" consumer "$KAFKA_BS" pd "$RECORDS"
  "$KAFKA_BENCH/perf.sh" consumer "$KAFKA_BS" pd "$RECORDS" > /dev/null 2>&1
  run kafka "$round" consume-3rd "$bytes" -- "$KAFKA_BENCH/perf.sh" consumer "$KAFKA_BS" pd "$RECORDS"
  kafka_stop

  sluice_start
  perf=("$root/bin/sluice-perf")
  "${perf[@]}" produce --bootstrap "$SLUICE_BS" --topic warmup --records "$WARMUP_RECORDS" --record-size 1024 --acks 1 > /dev/null 2>&1
  for _ in 1 2 3; do
    "${perf[@]}" consume --bootstrap "$SLUICE_BS" --topic warmup --records "$WARMUP_RECORDS" --record-size 1024 > /dev/null 2>&1
  done
  run sluice "$round" produce-default "$bytes" -- "${perf[@]}" produce --bootstrap "$SLUICE_BS" --topic pd --records "$RECORDS" --record-size 1024 --acks 1 --json
  run sluice "$round" produce-256k "$bytes" -- "${perf[@]}" produce --bootstrap "$SLUICE_BS" --topic p256 --records "$RECORDS" --record-size 1024 --acks 1 --batch-size 262144 --linger-ms 5 --json
  run sluice "$round" consume-1st "$bytes" -- "${perf[@]}" consume --bootstrap "$SLUICE_BS" --topic pd --records "$RECORDS" --record-size 1024 --json
  "${perf[@]}" consume --bootstrap "$SLUICE_BS" --topic pd --records "$RECORDS" --record-size 1024 > /dev/null 2>&1
  run sluice "$round" consume-3rd "$bytes" -- "${perf[@]}" consume --bootstrap "$SLUICE_BS" --topic pd --records "$RECORDS" --record-size 1024 --json
  sluice_stop
done

echo
echo "medians over the rounds in $RESULTS:"
awk -F'\t' 'NR > 1 { k = $3 "\t" $1; m[k] = m[k] " " $4; c[k] = c[k] " " $7; cases[$3] = 1 }
  function median(list,   a, n, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { printf "%-16s %12s %12s %8s %16s %16s %8s\n", "case", "sluice MiB/s", "kafka MiB/s", "ratio", "sluice CPU-s/GiB", "kafka CPU-s/GiB", "ratio"
    for (cs in cases) { sm = median(m[cs "\tsluice"]); km = median(m[cs "\tkafka"]); sc = median(c[cs "\tsluice"]); kc = median(c[cs "\tkafka"])
      printf "%-16s %12.1f %12.1f %8.2f %16.3f %16.3f %8.2f\n", cs, sm, km, (km > 0 ? sm / km : 0), sc, kc, (kc > 0 ? sc / kc : 0) } }' "$RESULTS"
