package io.sluice.broker.controller;

import io.sluice.broker.controller.command.BrokerState;
import io.sluice.broker.controller.command.PartitionState;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.PartitionRecord;
import io.sluice.proto.TopicPartition;

/** Conversions between the metadata records and the controller's protobuf messages. Stateless. */
final class ControllerCodec {
    private ControllerCodec() {
    }

    static PartitionState toState(PartitionRecord p) {
        return PartitionState.newBuilder().setTopic(p.tp().topic()).setPartition(p.tp().partition())
                .setLeaderId(p.leaderId()).setLeaderEpoch(p.leaderEpoch()).addAllReplicas(p.replicas())
                .addAllIsr(p.isr()).setPartitionEpoch(p.partitionEpoch()).build();
    }

    static PartitionRecord fromState(PartitionState s) {
        return new PartitionRecord(new TopicPartition(s.getTopic(), s.getPartition()), s.getLeaderId(),
                s.getLeaderEpoch(), s.getReplicasList(), s.getIsrList(), s.getPartitionEpoch());
    }

    static BrokerState toState(BrokerRegistration b) {
        return BrokerState.newBuilder().setBrokerId(b.nodeId()).setHost(b.host()).setPort(b.port())
                .setIncarnationId(b.incarnationId()).setBrokerEpoch(b.brokerEpoch()).setFenced(b.fenced()).build();
    }

    static BrokerRegistration fromState(BrokerState s) {
        return new BrokerRegistration(s.getBrokerId(), s.getHost(), s.getPort(), s.getIncarnationId(),
                s.getBrokerEpoch(), s.getFenced());
    }
}
