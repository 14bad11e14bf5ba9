package io.salvo.modelserver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's Prometheus metrics: requests by endpoint and status, inference time as a histogram, requests in
 * flight (admitted and not yet answered) and waiting, and the model's load time. Thread-safe.
 */
public final class ServingMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer inference;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong modelLoadMillis = new AtomicLong(-1);
    private final Map<String, Counter> requestCounters = new ConcurrentHashMap<>();

    public ServingMetrics(String modelName) {
        registry.config().commonTags("model", modelName);
        inference = Timer.builder("salvo.inference")
                .description("Time spent running the model per request (session run and pooling, not JSON or queueing)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(0).plusNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        Gauge.builder("salvo.inflight.requests", inFlight, AtomicInteger::get)
                .description("Inference requests admitted and not yet answered (running or queued)")
                .register(registry);
        Gauge.builder("salvo.queued.requests", queued, AtomicInteger::get)
                .description("Inference requests waiting for a free inference slot")
                .register(registry);
        Gauge.builder("salvo.model.load.milliseconds", modelLoadMillis, AtomicLong::get)
                .description("Time to open the model in ONNX Runtime (and its tokenizer), -1 while loading")
                .register(registry);
    }

    public void recordRequest(String endpoint, int status) {
        // looked up once per (endpoint, status): building and registering the meter id on every request allocated
        // tags and hashed them on the request path
        requestCounters
                .computeIfAbsent(
                        endpoint + ' ' + status,
                        key -> Counter.builder("salvo.requests")
                                .description("Requests answered, by endpoint and HTTP status")
                                .tag("endpoint", endpoint)
                                .tag("status", Integer.toString(status))
                                .register(registry))
                .increment();
    }

    public void recordInference(long nanos) {
        inference.record(nanos, TimeUnit.NANOSECONDS);
    }

    public AtomicInteger inFlight() {
        return inFlight;
    }

    public AtomicInteger queued() {
        return queued;
    }

    public void modelLoaded(long millis) {
        modelLoadMillis.set(millis);
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }
}
