package io.sluice.broker.request;

import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerHeartbeatRequest;
import io.sluice.proto.message.BrokerHeartbeatResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;

/**
 * {@code BrokerHeartbeat}: the active controller renews the broker's session (unfencing it first if its session had
 * expired) and answers whether it is fenced; {@code NOT_CONTROLLER} elsewhere, {@code STALE_BROKER_EPOCH} for an
 * older registration.
 */
final class BrokerHeartbeatHandler implements RequestHandler {
    private final MetadataStore metadata;

    BrokerHeartbeatHandler(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        BrokerHeartbeatRequest request = frame.message().getBrokerHeartbeat();
        frame.release();
        metadata.brokerHeartbeat(request.getBrokerId(), request.getBrokerEpoch()).whenComplete((fenced, error) -> {
            ApiError e = error == null ? ApiError.NONE : ApiError.from(error, "broker " + request.getBrokerId());
            context.send(Response.newBuilder().setBrokerHeartbeat(BrokerHeartbeatResponse.newBuilder()
                    .setErrorCode(e.code()).setErrorMessage(e.message()).setIsFenced(error == null ? fenced : true)));
        });
    }
}
