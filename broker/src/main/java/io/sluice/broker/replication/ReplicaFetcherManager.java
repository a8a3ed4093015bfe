package io.sluice.broker.replication;

import io.sluice.broker.partition.Partition;
import io.sluice.broker.partition.ReplicaFetchers;
import io.sluice.broker.util.Clock;
import io.sluice.client.network.Transport;
import io.sluice.proto.TopicPartition;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower side of a broker: one {@link ReplicaFetcher}, on its own thread, per leader broker this broker
 * follows partitions of. A partition moves between fetchers as its leader changes.
 *
 * <p>Thread-safety: the methods are synchronized on this manager (called from the metadata thread); the fetchers own
 * their partitions and take commands through a queue, so nothing here waits for a fetch. {@link #close} joins the
 * threads (each notices within a fetch's max wait plus the request timeout at worst).
 */
public final class ReplicaFetcherManager implements ReplicaFetchers {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcherManager.class);

    private final int nodeId;
    private final IntFunction<InetSocketAddress> brokerAddresses;
    private final FetcherSettings settings;
    private final Clock clock;
    private final Transport transport;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<Integer, Thread> threads = new HashMap<>();
    private final Map<TopicPartition, Integer> leaderOf = new HashMap<>();
    private boolean closed;

    /**
     * @param brokerAddresses a broker's listener by node id (null when unknown: its fetcher backs off and asks again)
     */
    public ReplicaFetcherManager(int nodeId, IntFunction<InetSocketAddress> brokerAddresses, FetcherSettings settings,
                                 Clock clock) {
        this.nodeId = nodeId;
        this.brokerAddresses = brokerAddresses;
        this.settings = settings;
        this.clock = clock;
        this.transport = Transport.create(1, "sluice-replica-fetcher-io-" + nodeId);
    }

    @Override
    public synchronized void addPartition(Partition partition, int leaderId, int leaderEpoch) {
        if (closed) {
            throw new IllegalStateException("replica fetchers of broker " + nodeId + " are closed");
        }
        TopicPartition tp = partition.topicPartition();
        Integer previous = leaderOf.get(tp);
        if (previous != null && previous != leaderId) {
            fetchers.get(previous).remove(tp);
        }
        leaderOf.put(tp, leaderId);
        fetchers.computeIfAbsent(leaderId, this::startFetcher).add(partition, leaderEpoch);
        log.info("{}: following broker {} at leader epoch {}", tp, leaderId, leaderEpoch);
    }

    private ReplicaFetcher startFetcher(int leaderId) {
        ReplicaFetcher fetcher = new ReplicaFetcher(nodeId, leaderId, brokerAddresses, transport, settings, clock);
        Thread thread = new Thread(fetcher, "sluice-replica-fetcher-" + nodeId + "-from-" + leaderId);
        thread.setDaemon(true);
        thread.start();
        threads.put(leaderId, thread);
        return fetcher;
    }

    @Override
    public synchronized void removePartition(TopicPartition tp) {
        Integer leader = leaderOf.remove(tp);
        if (leader != null) {
            fetchers.get(leader).remove(tp);
        }
    }

    /** The partitions followed, by leader id; for tests and tools. */
    public synchronized Map<TopicPartition, Integer> followed() {
        return Map.copyOf(leaderOf);
    }

    @Override
    public void close() {
        Map<Integer, Thread> toJoin;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            fetchers.values().forEach(ReplicaFetcher::stop);
            toJoin = new HashMap<>(threads);
        }
        for (Map.Entry<Integer, Thread> e : toJoin.entrySet()) {
            try {
                e.getValue().join(settings.maxWaitMs() + (long) settings.requestTimeoutMs() + 5_000);
                if (e.getValue().isAlive()) {
                    log.warn("fetcher from broker {} did not stop in time; leaving its daemon thread", e.getKey());
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        transport.group().shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
