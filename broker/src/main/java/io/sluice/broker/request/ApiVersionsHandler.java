package io.sluice.broker.request;

import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ApiVersionRange;
import io.sluice.proto.message.ApiVersionsResponse;
import io.sluice.proto.message.Request;
import io.sluice.proto.message.Response;
import java.util.Set;

/** {@code ApiVersions}: the APIs this broker answers (by their envelope field number) and their versions. */
final class ApiVersionsHandler implements RequestHandler {
    private final ApiVersionsResponse versions;

    ApiVersionsHandler(Set<Request.BodyCase> supported) {
        ApiVersionsResponse.Builder b = ApiVersionsResponse.newBuilder();
        supported.stream()
                .sorted()
                .forEach(api -> b.addApis(ApiVersionRange.newBuilder()
                        .setApiKey(api.getNumber())
                        .setMinVersion(RequestDispatcher.MIN_VERSION)
                        .setMaxVersion(RequestDispatcher.MAX_VERSION)));
        this.versions = b.build();
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        frame.release();
        context.send(Response.newBuilder().setApiVersions(versions));
    }
}
