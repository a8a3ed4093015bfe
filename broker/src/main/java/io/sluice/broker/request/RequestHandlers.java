package io.sluice.broker.request;

import io.sluice.broker.fetch.FetchStats;
import io.sluice.broker.partition.ReplicaManager;
import io.sluice.proto.message.Request;

/** Builds the broker's dispatcher with one handler per API. */
public final class RequestHandlers {
    private RequestHandlers() {
    }

    public static RequestDispatcher dispatcher(ReplicaManager replicas, FetchStats fetchStats) {
        return RequestDispatcher.builder()
                .register(Request.BodyCase.PRODUCE, new ProduceHandler(replicas, topic -> !topic.startsWith("__")))
                .register(Request.BodyCase.FETCH, new FetchHandler(replicas, fetchStats))
                .register(Request.BodyCase.LIST_OFFSETS, new ListOffsetsHandler(replicas))
                .build();
    }
}
