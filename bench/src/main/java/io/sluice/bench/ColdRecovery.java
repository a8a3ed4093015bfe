package io.sluice.bench;

import io.sluice.broker.log.Log;
import io.sluice.broker.log.LogConfig;
import io.sluice.broker.util.Clock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Recovery with a cold page cache, which JMH cannot set up: {@code write} fills one partition with
 * {@code MiB} of 16 KiB batches in one segment and halts the JVM without closing the log (a kill);
 * {@code bench/cold-recovery.sh} then drops the page cache and runs {@code reopen}, which times
 * {@link Log#open} with the recovery point the writer last reported. Not a JMH benchmark: one shot per run.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.sluice.bench.ColdRecovery write DIR MiB SEGMENT_BYTES
 * java -cp bench/target/benchmarks.jar io.sluice.bench.ColdRecovery reopen DIR SEGMENT_BYTES
 * </pre>
 */
public final class ColdRecovery {
    private ColdRecovery() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("write")) {
            long bytes = Long.parseLong(args[2]) << 20;
            LogConfig config = LogConfig.DEFAULT.withSegmentBytes(Integer.parseInt(args[3]));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            Log log = Log.open(BenchSupport.TP, dir.resolve(BenchSupport.TP.dirName()), config, Clock.SYSTEM, pool, false, 0);
            ByteBuffer batch = BenchSupport.batch16KiB();
            for (long written = 0; written < bytes; written += batch.remaining()) {
                log.appendAsLeader(batch, 1);
            }
            Thread.sleep(3000); // let background seals finish, as they would before a checkpoint
            Files.writeString(dir.resolve("recovery-point"), Long.toString(log.recoveryPoint()));
            System.out.printf("wrote offsets [0, %d) in %d segments; recovery point %d%n", log.logEndOffset(),
                    log.segmentCount(), log.recoveryPoint());
            Runtime.getRuntime().halt(0); // no close: the files stay as a killed broker leaves them
        }
        long recoveryPoint = Long.parseLong(Files.readString(dir.resolve("recovery-point")).trim());
        LogConfig config = LogConfig.DEFAULT.withSegmentBytes(Integer.parseInt(args[2]));
        long t0 = System.nanoTime();
        Log log = Log.open(BenchSupport.TP, dir.resolve(BenchSupport.TP.dirName()), config, Clock.SYSTEM, Runnable::run,
                false, recoveryPoint);
        System.out.printf("reopened after an unclean stop: offsets [0, %d) in %d ms%n", log.logEndOffset(),
                (System.nanoTime() - t0) / 1_000_000);
        Runtime.getRuntime().halt(0);
    }
}
