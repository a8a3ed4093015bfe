package io.sluice.broker.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ClientConfig;
import io.sluice.client.admin.Admin;
import io.sluice.client.admin.TopicDescription;
import io.sluice.client.metadata.Node;
import io.sluice.client.metadata.PartitionInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * Three {@code bin/sluice-broker} processes on this machine, started from {@code config/cluster/broker-N.properties}
 * with overrides: ports picked free, data under the test's directory, every broker a controller voter. Brokers can be
 * killed with SIGKILL, paused with SIGSTOP, and started again on the same data and ports.
 *
 * <p>Thread-safety: confined to the test thread.
 */
final class SystemCluster implements AutoCloseable {
    static final int SIZE = 3;
    /** Small heaps: three brokers, the verify tool and the build share a small machine. */
    static final Map<String, String> ENV = Map.of("SLUICE_HEAP_OPTS", "-Xms384m -Xmx384m");
    private static final Pattern CONTROLLER_ACTIVE = Pattern.compile("(?m)^sluice_controller_active(?:\\{[^}]*})? (\\S+)$");

    private final Path dir;
    private final int[] ports = new int[SIZE];
    private final int[] metricsPorts = new int[SIZE];
    private final List<List<String>> args = new ArrayList<>();
    private final BinProcess[] brokers = new BinProcess[SIZE];
    private final boolean[] paused = new boolean[SIZE];
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** @param overrides extra {@code key=value} overrides for every broker */
    SystemCluster(Path dir, List<String> overrides) {
        this.dir = dir;
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < SIZE; i++) {
            ports[i] = BinProcess.freePort();
            metricsPorts[i] = BinProcess.freePort();
            voters.add((i + 1) + "@127.0.0.1:" + BinProcess.freePort());
        }
        for (int i = 0; i < SIZE; i++) {
            List<String> a = new ArrayList<>();
            a.add(BinProcess.ROOT.resolve("config/cluster/broker-" + (i + 1) + ".properties").toString());
            for (String o : List.of("listeners=127.0.0.1:" + ports[i], "metrics.port=" + metricsPorts[i],
                    "controller.quorum.voters=" + String.join(",", voters), "log.dirs=" + logDir(i + 1),
                    "log.segment.bytes=1048576", "log.segment.prefill.bytes=0")) {
                a.add("--override");
                a.add(o);
            }
            for (String o : overrides) {
                a.add("--override");
                a.add(o);
            }
            args.add(a);
        }
    }

    /** Starts the three brokers and waits until they listen, a controller is active and all three are registered. */
    void start() throws InterruptedException {
        for (int id = 1; id <= SIZE; id++) {
            brokers[id - 1] = BinProcess.start(dir, "broker-" + id, "sluice-broker", args.get(id - 1), ENV);
        }
        for (int id = 1; id <= SIZE; id++) {
            brokers[id - 1].awaitListening(ports[id - 1], Duration.ofSeconds(120));
        }
        awaitStarting("an active controller", Duration.ofSeconds(90), () -> activeController().isPresent());
        awaitStarting("three registered brokers", Duration.ofSeconds(60), () -> registeredBrokers().size() == SIZE);
    }

    /**
     * Polls {@code condition} until it holds; fails at once, with that broker's output, when a broker exits, and
     * after {@code timeout} with the registered brokers and every broker's output (CI keeps no test directories).
     */
    private void awaitStarting(String what, Duration timeout, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            for (BinProcess b : brokers) {
                if (!b.isAlive()) {
                    throw new AssertionError("waiting for " + what + ": a broker exited\n" + b.describe());
                }
            }
            if (System.nanoTime() > deadline) {
                StringBuilder state = new StringBuilder("no " + what + " after " + timeout + "; active controller "
                        + activeController().map(String::valueOf).orElse("none") + ", registered and unfenced "
                        + registeredBrokers());
                for (BinProcess b : brokers) {
                    state.append('\n').append(b.describe());
                }
                throw new AssertionError(state.toString());
            }
            Thread.sleep(200);
        }
    }

    /** The unfenced brokers' ids as a live broker's metadata has them; empty while none answers. */
    private List<Integer> registeredBrokers() {
        try (Admin admin = admin()) {
            return admin.describeCluster().nodes().stream().map(Node::id).sorted().toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    Path logDir(int id) {
        return dir.resolve("data").resolve("broker-" + id);
    }

    BinProcess broker(int id) {
        return brokers[id - 1];
    }

    /** Every broker's listener, comma-separated. */
    String bootstrap() {
        List<String> all = new ArrayList<>();
        for (int p : ports) {
            all.add("127.0.0.1:" + p);
        }
        return String.join(",", all);
    }

    /** The listeners of the brokers that run (a dead or paused one would only hold an admin request up). */
    private String liveBootstrap() {
        List<String> live = new ArrayList<>();
        for (int i = 0; i < SIZE; i++) {
            if (brokers[i] != null && brokers[i].isAlive() && !paused[i]) {
                live.add("127.0.0.1:" + ports[i]);
            }
        }
        return String.join(",", live);
    }

    Admin admin() {
        return new Admin(ClientConfig.of(liveBootstrap()).withClientId("system-test").withRequestTimeoutMs(5000));
    }

    /** The topic as its leaders describe it; empty while no broker answers. */
    Optional<TopicDescription> describe(String topic) {
        try (Admin admin = admin()) {
            return Optional.of(admin.describeTopic(topic));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Waits until every partition has a leader and all three replicas in its ISR. */
    void awaitFullIsr(String topic, Duration timeout) {
        Awaitility.await("every partition of " + topic + " has a leader and three in-sync replicas")
                .atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> describe(topic).map(d -> d.partitions().stream()
                        .allMatch(p -> p.leader() >= 0 && p.isr().size() == SIZE)).orElse(false));
    }

    /**
     * Waits until every partition is fully replicated and quiet: three in-sync replicas, and the high watermark at the
     * log end. Returns each partition's high watermark.
     */
    List<Long> awaitReplicated(String topic, Duration timeout) {
        List<Long> hws = new ArrayList<>();
        Awaitility.await("every partition of " + topic + " replicated to its log end on three in-sync replicas")
                .atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Optional<TopicDescription> d = describe(topic);
                    if (d.isEmpty() || !d.get().partitions().stream().allMatch(p -> p.leader() >= 0
                            && p.isr().size() == SIZE && p.hasOffsets() && p.highWatermark() == p.logEndOffset())) {
                        return false;
                    }
                    hws.clear();
                    d.get().partitions().forEach(p -> hws.add(p.highWatermark()));
                    return true;
                });
        return hws;
    }

    /** The leader of each partition of {@code topic}, by partition. */
    List<Integer> leaders(String topic) {
        return describe(topic).orElseThrow().partitions().stream().map(PartitionInfo::leader).toList();
    }

    static String describeText(Optional<TopicDescription> d) {
        return d.map(t -> t.partitions().stream().map(p -> "p" + p.partition().partition() + " leader=" + p.leader()
                + " epoch=" + p.leaderEpoch() + " isr=" + p.isr() + " leo=" + p.logEndOffset() + " hw=" + p.highWatermark())
                .collect(Collectors.joining("; "))).orElse("(no answer)");
    }

    /** sluice_controller_active of broker {@code id}: 1, 0, or empty when /metrics does not answer. */
    OptionalInt controllerGauge(int id) {
        if (brokers[id - 1] == null || !brokers[id - 1].isAlive() || paused[id - 1]) {
            return OptionalInt.empty();
        }
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + metricsPorts[id - 1] + "/metrics")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Matcher m = CONTROLLER_ACTIVE.matcher(r.body());
            return m.find() ? OptionalInt.of((int) Double.parseDouble(m.group(1))) : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    /** The broker whose /metrics says it is the active controller; empty when none (or more than one) does. */
    Optional<Integer> activeController() {
        List<Integer> active = new ArrayList<>();
        for (int id = 1; id <= SIZE; id++) {
            if (controllerGauge(id).orElse(0) == 1) {
                active.add(id);
            }
        }
        return active.size() == 1 ? Optional.of(active.get(0)) : Optional.empty();
    }

    /** SIGKILL to broker {@code id}; returns once it is gone. */
    void kill9(int id) throws InterruptedException {
        brokers[id - 1].kill9();
    }

    /** SIGSTOP to broker {@code id}. */
    void pause(int id) throws IOException, InterruptedException {
        brokers[id - 1].pause();
        paused[id - 1] = true;
    }

    /** SIGCONT to broker {@code id}. */
    void resume(int id) throws IOException, InterruptedException {
        brokers[id - 1].resume();
        paused[id - 1] = false;
    }

    /** Starts broker {@code id} again, on its data and ports, and waits until it listens. */
    void restart(int id) throws InterruptedException {
        assertThat(brokers[id - 1].isAlive()).as("broker %s is down before its restart", id).isFalse();
        brokers[id - 1] = BinProcess.start(dir, "broker-" + id, "sluice-broker", args.get(id - 1), ENV);
        brokers[id - 1].awaitListening(ports[id - 1], Duration.ofSeconds(120));
    }

    /** SIGTERM to every broker, each must exit within 60 s (a clean stop: logs flushed and closed). */
    void stopCleanly() throws InterruptedException {
        for (int id = SIZE; id >= 1; id--) {
            if (brokers[id - 1] != null && brokers[id - 1].isAlive()) {
                brokers[id - 1].terminate(Duration.ofSeconds(60));
            }
        }
    }

    /**
     * Runs {@code bin/sluice-log compare} over the three replicas of each partition of {@code topic}: below each
     * partition's high watermark, or, when every log dir has a replication-offset-checkpoint, with the default (the
     * smallest checkpointed high watermark) as well. Fails naming the tool's output.
     */
    void compareReplicas(String topic, List<Long> highWatermarks) throws InterruptedException {
        boolean checkpoints = true;
        for (int id = 1; id <= SIZE; id++) {
            checkpoints &= Files.exists(logDir(id).resolve("replication-offset-checkpoint"));
        }
        for (int p = 0; p < highWatermarks.size(); p++) {
            List<String> dirs = new ArrayList<>(List.of("compare"));
            for (int id = 1; id <= SIZE; id++) {
                dirs.add(logDir(id).resolve(topic + "-" + p).toString());
            }
            List<String> explicit = new ArrayList<>(dirs);
            explicit.addAll(List.of("--below", Long.toString(highWatermarks.get(p))));
            runCompare(explicit, "compare-" + topic + "-" + p);
            if (checkpoints) {
                runCompare(dirs, "compare-default-" + topic + "-" + p);
            }
        }
    }

    private void runCompare(List<String> args, String name) throws InterruptedException {
        BinProcess compare = BinProcess.start(dir, name, "sluice-log", args);
        int exit = compare.await(Duration.ofSeconds(120));
        assertThat(exit).as("sluice-log %s\n%s", String.join(" ", args), compare.describe()).isZero();
        assertThat(compare.stdout()).contains(": identical below offset ");
    }

    @Override
    public void close() throws InterruptedException {
        for (BinProcess b : brokers) {
            if (b != null) {
                b.close();
            }
        }
    }
}
