package io.sluice.broker.request;

import io.sluice.broker.network.RequestContext;
import io.sluice.broker.network.RequestHandler;
import io.sluice.proto.frame.InboundFrame;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import java.util.EnumMap;
import java.util.Map;

/**
 * Routes each request to the handler of its API, after checking the API is known and its version
 * supported. Every API is at version 0 today; a change of meaning will add a version.
 */
public final class RequestDispatcher implements RequestHandler {
    static final int MIN_VERSION = 0;
    static final int MAX_VERSION = 0;

    private final Map<Request.BodyCase, RequestHandler> handlers;

    private RequestDispatcher(Map<Request.BodyCase, RequestHandler> handlers) {
        this.handlers = handlers;
    }

    @Override
    public void handle(RequestContext context, InboundFrame<Request> frame) {
        Request request = frame.message();
        RequestHandler handler = handlers.get(request.getBodyCase());
        if (handler == null) {
            frame.release();
            context.sendError(ErrorCode.UNKNOWN_API, request.getBodyCase() == Request.BodyCase.BODY_NOT_SET
                    ? "the request carries no body this broker knows (an API newer than the broker?)"
                    : "this broker does not serve " + request.getBodyCase());
            return;
        }
        if (request.getApiVersion() < MIN_VERSION || request.getApiVersion() > MAX_VERSION) {
            frame.release();
            context.sendError(ErrorCode.UNSUPPORTED_VERSION, request.getBodyCase() + " version " + request.getApiVersion()
                    + " is not supported; this broker speaks " + MIN_VERSION + ".." + MAX_VERSION);
            return;
        }
        handler.handle(context, frame);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects the handlers; ApiVersions is added by {@link #build()} from what was registered. */
    public static final class Builder {
        private final Map<Request.BodyCase, RequestHandler> handlers = new EnumMap<>(Request.BodyCase.class);

        public Builder register(Request.BodyCase api, RequestHandler handler) {
            handlers.put(api, handler);
            return this;
        }

        public RequestDispatcher build() {
            handlers.put(Request.BodyCase.API_VERSIONS, null);
            Map<Request.BodyCase, RequestHandler> all = new EnumMap<>(handlers);
            all.put(Request.BodyCase.API_VERSIONS, new ApiVersionsHandler(all.keySet()));
            return new RequestDispatcher(all);
        }
    }
}
