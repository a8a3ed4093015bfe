package io.sluice.broker.request;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.BrokerHeartbeatResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import io.netty.util.AttributeKey;

/**
 * {@code BrokerHeartbeat}: the active controller renews the broker's session (unfencing it first if its session had
 * expired) and answers whether it is fenced; {@code NOT_CONTROLLER} elsewhere, {@code STALE_BROKER_EPOCH} for an
 * older registration. When the connection a broker heartbeated on closes, the controller gives it four heartbeat
 * intervals to heartbeat again before fencing it, rather than the whole session timeout, and fences it at once if its
 * listener refuses connections too (the process is gone, see ActiveController): that is how a killed broker's
 * partitions move within a second.
 */
final class BrokerHeartbeatHandler implements RequestHandler {
    /** The broker registration that last heartbeated on a connection; set on the first heartbeat, then replaced. */
    private static final AttributeKey<Heartbeater> HEARTBEATER = AttributeKey.valueOf("sluice.heartbeater");

    private record Heartbeater(int brokerId, long brokerEpoch) {
    }

    private final MetadataStore metadata;
    private final long connectionLostGraceMs;

    /** @param heartbeatIntervalMs {@code broker.heartbeat.interval.ms} (the cluster's brokers share it) */
    BrokerHeartbeatHandler(MetadataStore metadata, long heartbeatIntervalMs) {
        this.metadata = metadata;
        this.connectionLostGraceMs = 4 * heartbeatIntervalMs;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        BrokerHeartbeatRequest request = frame.message().getBrokerHeartbeat();
        frame.release();
        int brokerId = request.getBrokerId();
        long brokerEpoch = request.getBrokerEpoch();
        metadata.brokerHeartbeat(brokerId, brokerEpoch).whenComplete((fenced, error) -> {
            if (error == null && context.setConnectionAttribute(HEARTBEATER,
                    new Heartbeater(brokerId, brokerEpoch)) == null) {
                context.onConnectionClose(() -> {
                    Heartbeater last = context.connectionAttribute(HEARTBEATER);
                    metadata.brokerConnectionLost(last.brokerId(), last.brokerEpoch(), connectionLostGraceMs);
                });
            }
            ApiError e = error == null ? ApiError.NONE : ApiError.from(error, "broker " + request.getBrokerId());
            context.send(Response.newBuilder().setBrokerHeartbeat(BrokerHeartbeatResponse.newBuilder()
                    .setErrorCode(e.code()).setErrorMessage(e.message()).setIsFenced(error == null ? fenced : true)));
        });
    }
}
