package io.sluice.broker.request;

import io.sluice.broker.metadata.BrokerRecord;
import io.sluice.broker.metadata.MetadataStore;
import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.BrokerRegistrationRequest;
import io.sluice.proto.message.BrokerRegistrationResponse;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;

/**
 * {@code BrokerRegistration}, answered by the active controller only ({@code NOT_CONTROLLER} elsewhere): the broker
 * is registered through the quorum and gets its new broker epoch. (Sluice's own brokers are voters and register
 * through their quorum client; this is the same operation for a broker that reaches the controller by its listener.)
 */
final class BrokerRegistrationHandler implements RequestHandler {
    private final MetadataStore metadata;

    BrokerRegistrationHandler(MetadataStore metadata) {
        this.metadata = metadata;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        BrokerRegistrationRequest request = frame.message().getBrokerRegistration();
        frame.release();
        if (!metadata.isActiveController()) {
            send(context, ApiError.of(ErrorCode.NOT_CONTROLLER, "this broker is not the active controller (that is "
                    + metadata.controllerId() + ")"), -1);
            return;
        }
        if (request.getHost().isEmpty() || request.getPort() <= 0 || request.getPort() > 65535) {
            send(context, ApiError.of(ErrorCode.INVALID_REQUEST, "broker " + request.getBrokerId()
                    + " must register a host and a port (got '" + request.getHost() + ":" + request.getPort() + "')"), -1);
            return;
        }
        metadata.registerBroker(new BrokerRecord(request.getBrokerId(), request.getHost(), request.getPort()),
                request.getIncarnationId()).whenComplete((epoch, error) -> send(context,
                error == null ? ApiError.NONE : ApiError.from(error, "broker " + request.getBrokerId()),
                error == null ? epoch : -1));
    }

    private static void send(RequestContext context, ApiError error, long epoch) {
        context.send(Response.newBuilder().setBrokerRegistration(BrokerRegistrationResponse.newBuilder()
                .setErrorCode(error.code()).setErrorMessage(error.message()).setBrokerEpoch(epoch)));
    }
}
