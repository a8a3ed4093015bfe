package io.sluice.broker.controller;

import io.sluice.broker.controller.command.AllocateProducerIds;
import io.sluice.broker.controller.command.AlterPartition;
import io.sluice.broker.controller.command.Command;
import io.sluice.broker.controller.command.CommandResult;
import io.sluice.broker.controller.command.CreateTopic;
import io.sluice.broker.controller.command.ElectLeaders;
import io.sluice.broker.controller.command.ElectPreferredLeaders;
import io.sluice.broker.controller.command.PartitionElection;
import io.sluice.broker.controller.command.PartitionId;
import io.sluice.broker.controller.command.FenceBroker;
import io.sluice.broker.controller.command.RegisterBroker;
import io.sluice.broker.controller.command.UnfenceBroker;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataException;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.broker.metadata.TopicRecord;
import io.sluice.broker.metadata.Topics;
import io.sluice.proto.TopicPartition;
import io.sluice.proto.message.ErrorCode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies controller commands to a {@link ClusterImage}: the semantics of the controller, run identically on every
 * voter. An apply reads nothing but the image, the command and its log index (no clock, no randomness), checks
 * everything before it changes anything, and either changes the image and reports the {@link MetadataDelta}s, or
 * changes nothing and reports the refusal as the result's error code.
 *
 * <p>Not thread-safe: used on the Ratis apply thread only, like the image.
 */
final class CommandApplier {
    private static final Logger log = LoggerFactory.getLogger(CommandApplier.class);

    private final ClusterImage image;

    CommandApplier(ClusterImage image) {
        this.image = image;
    }

    /** What one command did. */
    record Applied(CommandResult result, List<MetadataDelta> deltas) {
    }

    Applied apply(Command command, long logIndex) {
        List<MetadataDelta> deltas = new ArrayList<>();
        CommandResult.Builder result = CommandResult.newBuilder();
        try {
            switch (command.getBodyCase()) {
                case INIT_CLUSTER -> {
                    if (image.clusterId().isEmpty() && !command.getInitCluster().getClusterId().isEmpty()) {
                        image.setClusterId(command.getInitCluster().getClusterId());
                        deltas.add(new MetadataDelta.ClusterIdSet(image.clusterId()));
                    }
                }
                case REGISTER_BROKER -> result.setBrokerEpoch(register(command.getRegisterBroker(), logIndex, deltas));
                case FENCE_BROKER -> fence(command.getFenceBroker(), deltas);
                case UNFENCE_BROKER -> unfence(command.getUnfenceBroker(), deltas);
                case CREATE_TOPIC -> createTopic(command.getCreateTopic(), deltas);
                case DELETE_TOPIC -> deleteTopic(command.getDeleteTopic().getName(), deltas);
                case ALTER_PARTITION -> result.setPartition(ControllerCodec.toState(
                        alterPartition(command.getAlterPartition(), deltas)));
                case ELECT_LEADERS -> electLeaders(command.getElectLeaders(), deltas);
                case ELECT_PREFERRED_LEADERS -> result.addAllElections(
                        electPreferred(command.getElectPreferredLeaders(), deltas));
                case ALLOCATE_PRODUCER_IDS -> result.setFirstProducerId(allocate(command.getAllocateProducerIds()));
                case BARRIER -> {
                    // nothing to change: see QuorumMetadataStore.awaitReady
                }
                default -> throw new MetadataException(ErrorCode.INVALID_REQUEST, "unknown controller command "
                        + command.getBodyCase() + " (written by a newer broker?)");
            }
        } catch (MetadataException e) {
            // Checks come before changes, so a refused command left the image as it was.
            return new Applied(refusal(e, command), List.of());
        } catch (RuntimeException e) {
            // A bug, but the same one on every voter (same image, same command): answer it rather than stop applying.
            log.error("controller command {} at log index {} failed", command.getBodyCase(), logIndex, e);
            return new Applied(refusal(new MetadataException(ErrorCode.UNKNOWN_SERVER_ERROR, command.getBodyCase()
                    + " failed: " + e), command), deltas);
        }
        return new Applied(result.build(), deltas);
    }

    private CommandResult refusal(MetadataException e, Command command) {
        CommandResult.Builder r = CommandResult.newBuilder().setErrorCode(e.errorCode().getNumber())
                .setErrorMessage(e.getMessage() == null ? "" : e.getMessage());
        if (command.hasAlterPartition()) {
            AlterPartition a = command.getAlterPartition();
            PartitionRecord current = image.partition(new TopicPartition(a.getTopic(), a.getPartition()));
            if (current != null) {
                r.setPartition(ControllerCodec.toState(current));
            }
        }
        return r.build();
    }

    // ---------------------------------------------------------------- brokers

    private long register(RegisterBroker r, long logIndex, List<MetadataDelta> deltas) {
        if (r.getBrokerId() < 0) {
            throw new MetadataException(ErrorCode.INVALID_REQUEST, "broker id " + r.getBrokerId() + " is negative");
        }
        BrokerRegistration previous = image.broker(r.getBrokerId());
        if (previous != null && !previous.fenced() && !previous.incarnationId().equals(r.getIncarnationId())) {
            // Restarted before its session expired: the new process may have lost what the old one had not flushed,
            // so it must not go on leading at the old epoch with followers that hold more. Fence the old incarnation
            // (leadership moves to a live ISR member, or, as the last one, comes back to it at a new epoch below).
            image.putBroker(previous.withFenced(true));
            int moved = moveLeadershipAway(previous.nodeId(), deltas);
            log.info("broker {} registered again (new incarnation) before its session expired: fenced the old one,"
                    + " {} partitions changed leader or ISR", previous.nodeId(), moved);
        }
        BrokerRegistration b = new BrokerRegistration(r.getBrokerId(), r.getHost(), r.getPort(), r.getIncarnationId(),
                logIndex, false);
        image.putBroker(b);
        deltas.add(new MetadataDelta.BrokerChanged(b));
        electLeaderless(r.getBrokerId(), deltas);
        return logIndex;
    }

    private void fence(FenceBroker f, List<MetadataDelta> deltas) {
        BrokerRegistration b = current(f.getBrokerId(), f.getBrokerEpoch());
        if (b.fenced()) {
            return;
        }
        BrokerRegistration fenced = b.withFenced(true);
        image.putBroker(fenced);
        deltas.add(new MetadataDelta.BrokerChanged(fenced));
        int moved = moveLeadershipAway(b.nodeId(), deltas);
        log.info("fenced broker {} (epoch {}): {} partitions changed leader or ISR", b.nodeId(), b.brokerEpoch(), moved);
    }

    /** Takes the fenced {@code brokerId} out of every ISR and leadership it can leave; how many partitions changed. */
    private int moveLeadershipAway(int brokerId, List<MetadataDelta> deltas) {
        int changedCount = 0;
        for (PartitionRecord p : image.allPartitions()) {
            PartitionRecord changed = LeaderElection.onFenced(p, brokerId, image::isLive, unclean(p));
            if (changed != null) {
                update(changed, deltas);
                changedCount++;
            }
        }
        return changedCount;
    }

    private void unfence(UnfenceBroker u, List<MetadataDelta> deltas) {
        BrokerRegistration b = current(u.getBrokerId(), u.getBrokerEpoch());
        if (!b.fenced()) {
            return;
        }
        BrokerRegistration live = b.withFenced(false);
        image.putBroker(live);
        deltas.add(new MetadataDelta.BrokerChanged(live));
        electLeaderless(b.nodeId(), deltas);
        log.info("unfenced broker {} (epoch {})", b.nodeId(), b.brokerEpoch());
    }

    /** The broker's registration when {@code epoch} is its current one. */
    private BrokerRegistration current(int brokerId, long epoch) {
        BrokerRegistration b = image.broker(brokerId);
        if (b == null || b.brokerEpoch() != epoch) {
            throw new MetadataException(ErrorCode.STALE_BROKER_EPOCH, "broker " + brokerId + " epoch " + epoch
                    + " is not its current registration (" + (b == null ? "none" : "epoch " + b.brokerEpoch()) + ")");
        }
        return b;
    }

    /** Gives leaderless partitions among {@code brokerId}'s replicas a leader, now that it is live. */
    private void electLeaderless(int brokerId, List<MetadataDelta> deltas) {
        for (PartitionRecord p : image.allPartitions()) {
            if (p.leaderId() == LeaderElection.NO_LEADER && p.replicas().contains(brokerId)) {
                PartitionRecord elected = LeaderElection.electIfLeaderless(p, image::isLive, unclean(p));
                if (elected != null) {
                    update(elected, deltas);
                }
            }
        }
    }

    private boolean unclean(PartitionRecord p) {
        TopicRecord t = image.topic(p.tp().topic());
        return t != null && Topics.uncleanLeaderElection(t.configs());
    }

    private void update(PartitionRecord p, List<MetadataDelta> deltas) {
        image.putPartition(p);
        deltas.add(new MetadataDelta.PartitionChanged(p));
    }

    // ---------------------------------------------------------------- topics

    private void createTopic(CreateTopic c, List<MetadataDelta> deltas) {
        String name = c.getName();
        Topics.validateName(name, c.getInternal());
        if (image.topic(name) != null) {
            throw new MetadataException(ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists");
        }
        for (TopicRecord existing : image.topics()) {
            if (Topics.collisionKey(existing.name()).equals(Topics.collisionKey(name))) {
                throw new MetadataException(ErrorCode.INVALID_TOPIC, "topic '" + name + "' collides with topic '"
                        + existing.name() + "': '.' and '_' are the same in metric names");
            }
        }
        Topics.validatePartitions(c.getPartitions());
        List<Integer> live = image.liveBrokerIds();
        Topics.validateReplicationFactor(c.getReplicationFactor(), live.size());
        Map<String, String> configs = new TreeMap<>(c.getConfigsMap());
        Topics.validateConfigs(configs);

        TopicRecord topic = new TopicRecord(name, c.getTopicId(), c.getPartitions(), c.getReplicationFactor(), configs,
                Topics.isInternal(name));
        List<PartitionRecord> ps = ReplicaAssignment.assign(name, c.getPartitions(), c.getReplicationFactor(), live,
                c.getStartIndex());
        image.putTopic(topic, ps);
        deltas.add(new MetadataDelta.TopicCreated(topic, ps));
        log.info("created topic {} ({} partitions, replication factor {}, configs {})", name, c.getPartitions(),
                c.getReplicationFactor(), configs);
    }

    private void deleteTopic(String name, List<MetadataDelta> deltas) {
        TopicRecord topic = image.topic(name);
        if (topic == null) {
            throw new MetadataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
        }
        if (topic.internal()) {
            throw new MetadataException(ErrorCode.INVALID_TOPIC, "topic '" + name
                    + "' is internal and cannot be deleted");
        }
        image.removeTopic(name);
        deltas.add(new MetadataDelta.TopicDeleted(topic));
        log.info("deleted topic {}", name);
    }

    // ---------------------------------------------------------------- partitions

    private PartitionRecord alterPartition(AlterPartition a, List<MetadataDelta> deltas) {
        current(a.getBrokerId(), a.getBrokerEpoch());
        TopicPartition tp = new TopicPartition(a.getTopic(), a.getPartition());
        PartitionRecord p = image.partition(tp);
        if (p == null) {
            throw new MetadataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + tp + " does not exist");
        }
        if (a.getLeaderEpoch() < p.leaderEpoch()) {
            throw new MetadataException(ErrorCode.FENCED_LEADER_EPOCH, tp + ": leader epoch " + a.getLeaderEpoch()
                    + " is older than the current " + p.leaderEpoch());
        }
        if (a.getLeaderEpoch() > p.leaderEpoch()) {
            throw new MetadataException(ErrorCode.UNKNOWN_LEADER_EPOCH, tp + ": leader epoch " + a.getLeaderEpoch()
                    + " is newer than the current " + p.leaderEpoch());
        }
        if (a.getBrokerId() != p.leaderId()) {
            throw new MetadataException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp + ": broker " + a.getBrokerId()
                    + " is not its leader (" + p.leaderId() + ")");
        }
        if (a.getPartitionEpoch() != p.partitionEpoch()) {
            throw new MetadataException(ErrorCode.INVALID_UPDATE_VERSION, tp + ": partition epoch "
                    + a.getPartitionEpoch() + " is not the current " + p.partitionEpoch());
        }
        List<Integer> isr = a.getNewIsrList();
        if (isr.isEmpty() || !isr.contains(p.leaderId()) || new HashSet<>(isr).size() != isr.size()) {
            throw new MetadataException(ErrorCode.INVALID_REQUEST, tp + ": new ISR " + isr
                    + " must name the leader " + p.leaderId() + " and no broker twice");
        }
        for (int member : isr) {
            if (!p.replicas().contains(member) || !image.isLive(member)) {
                throw new MetadataException(ErrorCode.INVALID_REQUEST, tp + ": new ISR " + isr + " names broker "
                        + member + ", which is not a live replica (replicas " + p.replicas() + ")");
            }
        }
        PartitionRecord changed = new PartitionRecord(tp, p.leaderId(), p.leaderEpoch(), p.replicas(), isr,
                p.partitionEpoch() + 1);
        update(changed, deltas);
        return changed;
    }

    private void electLeaders(ElectLeaders e, List<MetadataDelta> deltas) {
        if (image.topic(e.getTopic()) == null) {
            throw new MetadataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + e.getTopic()
                    + "' does not exist");
        }
        for (int partition : e.getPartitionsList()) {
            PartitionRecord p = image.partition(new TopicPartition(e.getTopic(), partition));
            if (p == null) {
                throw new MetadataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + e.getTopic() + "-"
                        + partition + " does not exist");
            }
        }
        for (int partition : e.getPartitionsList()) {
            PartitionRecord p = image.partition(new TopicPartition(e.getTopic(), partition));
            PartitionRecord elected = LeaderElection.electIfLeaderless(p, image::isLive, unclean(p));
            if (elected != null) {
                update(elected, deltas);
            }
        }
    }

    /**
     * Moves each partition to its preferred replica where {@link LeaderElection#canMoveToPreferred} allows it, now,
     * whatever the proposer saw; one outcome per partition, and a partition that cannot move is an outcome, not a
     * refusal of the whole command.
     */
    private List<PartitionElection> electPreferred(ElectPreferredLeaders e, List<MetadataDelta> deltas) {
        List<PartitionElection> out = new ArrayList<>(e.getPartitionsCount());
        int moved = 0;
        for (PartitionId id : e.getPartitionsList()) {
            PartitionElection.Builder r = PartitionElection.newBuilder().setTopic(id.getTopic())
                    .setPartition(id.getPartition());
            PartitionRecord p = partitionOrNull(id.getTopic(), id.getPartition());
            if (p == null) {
                out.add(r.setErrorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.getNumber()).setErrorMessage("partition "
                        + id.getTopic() + "-" + id.getPartition() + " does not exist").setLeaderId(-1).build());
                continue;
            }
            int preferred = LeaderElection.preferred(p);
            if (p.leaderId() == preferred) {
                r.setErrorCode(ErrorCode.ELECTION_NOT_NEEDED.getNumber()).setErrorMessage(p.tp()
                        + ": its preferred replica " + preferred + " leads it already");
            } else if (!LeaderElection.canMoveToPreferred(p, image::isLive)) {
                r.setErrorCode(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.getNumber()).setErrorMessage(p.tp()
                        + ": its preferred replica " + preferred + " is " + (image.isLive(preferred)
                        ? "not in the ISR " + p.isr() : "not live (fenced or not registered)"));
            } else {
                p = LeaderElection.moveToPreferred(p);
                update(p, deltas);
                moved++;
            }
            out.add(r.setLeaderId(p.leaderId()).setLeaderEpoch(p.leaderEpoch()).build());
        }
        if (moved > 0) {
            log.info("moved {} of {} partitions to their preferred leader", moved, e.getPartitionsCount());
        }
        return out;
    }

    /** The partition, or null when there is none (also for names no topic can have). */
    private PartitionRecord partitionOrNull(String topic, int partition) {
        if (image.topic(topic) == null || partition < 0) {
            return null;
        }
        return image.partition(new TopicPartition(topic, partition));
    }

    private long allocate(AllocateProducerIds a) {
        if (a.getBlockSize() < 1) {
            throw new MetadataException(ErrorCode.INVALID_REQUEST, "producer id block size " + a.getBlockSize()
                    + " must be positive");
        }
        long first = image.nextProducerId();
        if (first > Long.MAX_VALUE - a.getBlockSize()) {
            throw new MetadataException(ErrorCode.UNKNOWN_SERVER_ERROR, "producer ids are exhausted at " + first);
        }
        image.setNextProducerId(first + a.getBlockSize());
        return first;
    }
}
