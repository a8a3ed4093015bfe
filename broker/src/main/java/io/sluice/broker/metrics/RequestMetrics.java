package io.sluice.broker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.broker.network.RequestObserver;
import io.sluice.proto.message.ErrorCode;
import io.sluice.proto.message.Request;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Per-API request meters: {@code sluice_requests_total{api}} when a request is read,
 * {@code sluice_request_latency_seconds{api}} (a histogram with fixed buckets) from when it was read to
 * when its answer was queued, purgatory time included, and {@code sluice_request_errors_total{api,error}}
 * for every error an answer carries, top-level or per partition. A request that gets no answer (an
 * {@code acks=0} produce, a parked request whose connection closed) is counted but has no latency.
 *
 * <p>Each API's meters are resolved on its first request and kept in arrays indexed by the enums'
 * ordinals, so a request costs two array reads and lock-free increments, never a registry lookup.
 *
 * <p>Thread-safety: called from any thread; the arrays are {@link AtomicReferenceArray}s, and two threads
 * racing to resolve the same meter get the same one from the registry.
 */
public final class RequestMetrics implements RequestObserver {
    /** Latency buckets: from a cached fetch (sub-millisecond) to a long-poll that waits out its max_wait_ms. */
    static final Duration[] LATENCY_BUCKETS = {
            Duration.ofMillis(1).dividedBy(4), Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1),
            Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30)};

    private static final Request.BodyCase[] APIS = Request.BodyCase.values();
    private static final ErrorCode[] CODES = ErrorCode.values();

    private final MeterRegistry registry;
    private final AtomicReferenceArray<Counter> requests = new AtomicReferenceArray<>(APIS.length);
    private final AtomicReferenceArray<Timer> latency = new AtomicReferenceArray<>(APIS.length);
    /** Indexed by {@code api.ordinal() * CODES.length + code.ordinal()}. */
    private final AtomicReferenceArray<Counter> errors = new AtomicReferenceArray<>(APIS.length * CODES.length);

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void onRequest(Request.BodyCase api) {
        Counter c = requests.get(api.ordinal());
        if (c == null) {
            c = Counter.builder("sluice.requests").description("Requests read, by API")
                    .tag("api", apiName(api)).register(registry);
            requests.set(api.ordinal(), c);
        }
        c.increment();
    }

    @Override
    public void onAnswer(Request.BodyCase api, ErrorCode error, long latencyNanos) {
        Timer t = latency.get(api.ordinal());
        if (t == null) {
            t = Timer.builder("sluice.request.latency")
                    .description("From reading a request to queueing its answer (purgatory time included), by API")
                    .tag("api", apiName(api))
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry);
            latency.set(api.ordinal(), t);
        }
        t.record(latencyNanos, TimeUnit.NANOSECONDS);
        if (error != ErrorCode.NONE) {
            onError(api, error);
        }
    }

    @Override
    public void onError(Request.BodyCase api, ErrorCode error) {
        int i = api.ordinal() * CODES.length + error.ordinal();
        Counter c = errors.get(i);
        if (c == null) {
            c = Counter.builder("sluice.request.errors").description("Errors in answers (top-level and per partition), by API and code")
                    .tag("api", apiName(api)).tag("error", error.name()).register(registry);
            errors.set(i, c);
        }
        c.increment();
    }

    /** {@code PRODUCE} → {@code produce}; a request with no known body is {@code unknown}. */
    static String apiName(Request.BodyCase api) {
        return api == Request.BodyCase.BODY_NOT_SET ? "unknown" : api.name().toLowerCase(Locale.ROOT);
    }
}
