package io.sluice.broker.controller;

import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.ElectPreferredLeaders;
import io.sluice.broker.controller.command.PartitionElection;
import io.sluice.broker.controller.command.PartitionId;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active controller's automatic preferred-leader rebalance: every {@code leader.imbalance.check.interval.seconds}
 * it looks at the published image, and when a broker's share of the partitions it prefers but does not lead is above
 * {@code leader.imbalance.per.broker.percentage} ({@link LeaderImbalance}), it proposes one
 * {@code ElectPreferredLeaders} command that moves them home. So after a broker comes back from a failure, the
 * leaderships that moved away return to it once it has caught up (it is in the ISR again), instead of one broker
 * leading everything. The apply checks each partition again: the image here may trail the log.
 *
 * <p>The first check comes one interval after this node becomes the active controller, as Kafka's, so a broker
 * restarting with the cluster has time to catch up first.
 *
 * <p>Thread-safety: {@link #doWork} runs on the controller's timer thread only, which owns {@code nextCheckMs};
 * {@code inFlight} is volatile because the proposal completes on the metadata thread.
 */
final class PreferredLeaderBalancer {
    private static final Logger log = LoggerFactory.getLogger(PreferredLeaderBalancer.class);
    private static final long NOT_SCHEDULED = Long.MIN_VALUE;

    private final LeaderBalanceConfig config;
    private final PublishedImage view;
    private final Function<Command, CompletableFuture<CommandResult>> proposer;
    private final BooleanSupplier isActive;
    private long nextCheckMs = NOT_SCHEDULED;
    /** A proposal is waiting for its answer: no second one until then (the image has not caught up with it). */
    private volatile boolean inFlight;

    PreferredLeaderBalancer(LeaderBalanceConfig config, PublishedImage view,
                            Function<Command, CompletableFuture<CommandResult>> proposer, BooleanSupplier isActive) {
        this.config = config;
        this.view = view;
        this.proposer = proposer;
        this.isActive = isActive;
    }

    /** Timer thread: checks the balance when an interval has passed since the last check. Never throws. */
    void doWork(long nowMs) {
        try {
            if (!config.enabled()) {
                return;
            }
            if (!isActive.getAsBoolean()) {
                nextCheckMs = NOT_SCHEDULED;
                return;
            }
            if (nextCheckMs == NOT_SCHEDULED) {
                nextCheckMs = nowMs + config.checkIntervalMs();
                return;
            }
            if (nowMs < nextCheckMs || inFlight) {
                return;
            }
            nextCheckMs = nowMs + config.checkIntervalMs();
            check();
        } catch (RuntimeException e) {
            log.error("the preferred leader check failed; it runs again in {} ms", config.checkIntervalMs(), e);
        }
    }

    private void check() {
        List<PartitionRecord> partitions = new ArrayList<>();
        for (TopicRecord t : view.topics()) {
            partitions.addAll(view.partitions(t.name()));
        }
        List<TopicPartition> move = LeaderImbalance.toMove(partitions, this::isLive, config.imbalancePercent());
        if (move.isEmpty()) {
            return;
        }
        for (LeaderImbalance.BrokerImbalance b : LeaderImbalance.perBroker(partitions)) {
            if (b.percent() > config.imbalancePercent()) {
                log.info("broker {} does not lead {} of the {} partitions it is the preferred replica of ({}%, above"
                        + " leader.imbalance.per.broker.percentage {})", b.brokerId(), b.notLed().size(),
                        b.preferred(), Math.round(b.percent()), config.imbalancePercent());
            }
        }
        log.info("moving {} partitions back to their preferred leader: {}", move.size(), move);
        ElectPreferredLeaders.Builder command = ElectPreferredLeaders.newBuilder();
        for (TopicPartition tp : move) {
            command.addPartitions(PartitionId.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()));
        }
        inFlight = true;
        proposer.apply(Command.newBuilder().setElectPreferredLeaders(command).build()).whenComplete((r, e) -> {
            inFlight = false;
            if (e != null) {
                log.warn("moving partitions to their preferred leader failed; the next check tries again: {}",
                        e.getMessage());
                return;
            }
            long moved = r.getElectionsList().stream().filter(p -> p.getErrorCode() == ErrorCode.NONE_VALUE).count();
            if (moved < move.size()) {
                for (PartitionElection p : r.getElectionsList()) {
                    if (p.getErrorCode() != ErrorCode.NONE_VALUE) {
                        log.info("{}-{} stays where it is: {}", p.getTopic(), p.getPartition(), p.getErrorMessage());
                    }
                }
            }
        });
    }

    private boolean isLive(int brokerId) {
        return view.broker(brokerId).map(b -> !b.fenced()).orElse(false);
    }
}
