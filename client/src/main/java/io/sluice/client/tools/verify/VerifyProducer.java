package io.sluice.client.tools.verify;

import io.sluice.client.errors.SluiceException;
import io.sluice.client.producer.Producer;
import io.sluice.client.producer.ProducerRecord;
import io.sluice.client.producer.RecordMetadata;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends the records of one run, sequence 0, 1, 2, ... round-robin over the partitions, and notes every acknowledged
 * one in the acked file and in memory. A failed send (broker down, timeout) is counted and noted on stderr at most
 * once a second; it is no anomaly, since only acknowledged records are promised.
 *
 * <p>Thread-safety: {@link #send} from one thread; acknowledgements arrive on the producer's I/O thread; the counters
 * are atomic.
 */
final class VerifyProducer implements AutoCloseable {
    private static final long NOTE_INTERVAL_NANOS = 1_000_000_000L;

    private final Producer producer;
    private final String topic;
    private final long runId;
    private final int recordSize;
    private final int partitions;
    private final AckFile.Writer file;
    private final AckedRecords acked;
    private final PrintStream err;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong ackCount = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lastNoteNanos = new AtomicLong(System.nanoTime() - NOTE_INTERVAL_NANOS);

    /** {@code producer} is owned from here on (closed by {@link #close}). */
    VerifyProducer(Producer producer, String topic, long runId, int recordSize, AckFile.Writer file,
                   AckedRecords acked, PrintStream err) {
        this.producer = producer;
        this.topic = topic;
        this.runId = runId;
        this.recordSize = recordSize;
        this.file = file;
        this.acked = acked;
        this.err = err;
        int n;
        try {
            n = producer.partitionsFor(topic).size();
        } catch (RuntimeException e) {
            producer.close(java.time.Duration.ZERO);
            throw e;
        }
        this.partitions = n;
        acked.addRun(runId);
    }

    /** Sends record {@code sequence}. */
    void send(long sequence) {
        byte[] value = VerifyValue.encode(runId, sequence, recordSize);
        int partition = (int) (sequence % partitions);
        sent.incrementAndGet();
        try {
            producer.send(new ProducerRecord(topic, partition, null, value), (md, e) -> completed(sequence, md, e));
        } catch (SluiceException e) {
            failed(e);
        }
    }

    private void completed(long sequence, RecordMetadata md, Exception e) {
        if (e != null) {
            failed(e);
            return;
        }
        acked.add(md.partition(), md.offset(), runId, sequence);
        file.ack(md.partition(), md.offset(), sequence);
        ackCount.incrementAndGet();
    }

    private void failed(Exception e) {
        long n = failed.incrementAndGet();
        long now = System.nanoTime();
        long last = lastNoteNanos.get();
        if (now - last >= NOTE_INTERVAL_NANOS && lastNoteNanos.compareAndSet(last, now)) {
            err.println("sluice-verify: send failed (" + n + " failed so far, not an anomaly): " + e.getMessage());
        }
    }

    /** Waits until record number {@code sentSoFar} (from 0) is due at {@code perSecond} a second (-1: at once). */
    static void pace(long perSecond, long startNanos, long sentSoFar) {
        if (perSecond <= 0) {
            return;
        }
        long due = startNanos + (long) (sentSoFar * 1e9 / perSecond);
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    long sent() {
        return sent.get();
    }

    long acked() {
        return ackCount.get();
    }

    long failed() {
        return failed.get();
    }

    String progress() {
        return "sent=" + sent() + " acked=" + acked() + " failed=" + failed();
    }

    /** Waits for every record sent to be acknowledged or to fail (bounded by delivery.timeout.ms), then closes. */
    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            producer.close();
        }
    }
}
