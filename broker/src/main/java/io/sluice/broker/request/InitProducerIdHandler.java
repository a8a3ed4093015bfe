package io.sluice.broker.request;

import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.broker.producer.ProducerIdManager;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.InitProducerIdResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;

/**
 * {@code InitProducerId}: a fresh producer id at epoch 0 for an idempotent producer (see
 * {@link ProducerIdManager#initProducerId()}). Ids come from blocks reserved durably in the metadata, so an
 * id is never handed out twice, across restarts too.
 */
final class InitProducerIdHandler implements RequestHandler {
    private final ProducerIdManager producerIds;

    InitProducerIdHandler(ProducerIdManager producerIds) {
        this.producerIds = producerIds;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        frame.release();
        producerIds.initProducerId().whenComplete((id, error) -> {
            InitProducerIdResponse.Builder body = InitProducerIdResponse.newBuilder().setProducerId(-1).setProducerEpoch(-1);
            if (error != null) {
                ApiError e = ApiError.from(error, "InitProducerId");
                body.setErrorCode(e.code()).setErrorMessage(e.message());
            } else {
                body.setProducerId(id.producerId()).setProducerEpoch(id.epoch());
            }
            context.send(Response.newBuilder().setInitProducerId(body));
        });
    }
}
