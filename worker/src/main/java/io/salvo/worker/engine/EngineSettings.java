package io.salvo.worker.engine;

import io.salvo.proto.v1.RunPlan;
import java.util.List;

/**
 * The engine's limits and timeouts, taken from a {@link RunPlan} with the defaults applied where the plan leaves a
 * field at 0 (or, for the send-ahead window, unset).
 *
 * @param requestTimeoutNanos a sent request not completed this long after its send is a timeout;
 *     a request waiting for an in-flight slot this long after its intended time is abandoned
 * @param connectTimeoutMillis TCP connect (and connection acquisition) timeout
 * @param maxInFlight cap on requests in flight on this worker
 * @param maxConnections cap on open connections of this worker
 * @param preconnect connections this worker opens before the run's start instant (at most {@code maxConnections})
 * @param lateSendThresholdNanos a send lagging its intended time by more is counted late
 * @param intervalNanos reporting interval length
 * @param capturedHeaders response header names whose values are counted
 * @param sendAheadNanos how far ahead of its intended instant a request may be sent, so that one event-loop
 *     wake-up sends every request due within this window rather than one wake-up per request; 0 sends
 *     nothing early. The plan's {@code sendAhead} sets it for a run; without it, the worker's default: its JVM's
 *     {@value #SEND_AHEAD_PROPERTY} (microseconds), else {@value #DEFAULT_SEND_AHEAD_MICROS} µs.
 */
public record EngineSettings(
        long requestTimeoutNanos,
        long connectTimeoutMillis,
        int maxInFlight,
        int maxConnections,
        int preconnect,
        long lateSendThresholdNanos,
        long intervalNanos,
        List<String> capturedHeaders,
        long sendAheadNanos) {

    public static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 30_000;
    public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 5_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1_000;
    public static final long DEFAULT_LATE_SEND_THRESHOLD_MICROS = 1_000;
    public static final long DEFAULT_INTERVAL_MILLIS = 1_000;
    public static final String SEND_AHEAD_PROPERTY = "salvo.engine.sendAheadMicros";
    public static final long DEFAULT_SEND_AHEAD_MICROS = 100;

    public EngineSettings {
        capturedHeaders = List.copyOf(capturedHeaders);
        if (preconnect < 0 || preconnect > maxConnections) {
            throw new IllegalArgumentException(
                    "preconnect must be between 0 and maxConnections (" + maxConnections + "): " + preconnect);
        }
        if (sendAheadNanos < 0) {
            throw new IllegalArgumentException("sendAheadNanos must not be negative: " + sendAheadNanos);
        }
    }

    public static EngineSettings of(RunPlan plan) {
        long timeoutMillis = orDefault(plan.getRequestTimeoutMillis(), DEFAULT_REQUEST_TIMEOUT_MILLIS);
        int inFlight = (int) orDefault(plan.getMaxInFlightPerWorker(), DEFAULT_MAX_IN_FLIGHT);
        // HTTP/1.1 carries one request per connection at a time: by default one connection per slot.
        int connections = (int) orDefault(plan.getMaxConnectionsPerWorker(), inFlight);
        return new EngineSettings(
                timeoutMillis * 1_000_000L,
                orDefault(plan.getConnectTimeoutMillis(), DEFAULT_CONNECT_TIMEOUT_MILLIS),
                inFlight,
                connections,
                Math.min(plan.getPreconnectPerWorker(), connections),
                orDefault(plan.getLateSendThresholdMicros(), DEFAULT_LATE_SEND_THRESHOLD_MICROS) * 1_000L,
                orDefault(plan.getIntervalMillis(), DEFAULT_INTERVAL_MILLIS) * 1_000_000L,
                plan.getCaptureResponseHeadersList(),
                sendAheadMicros(plan) * 1_000L);
    }

    /** The plan's window if it sets one, else this worker's default. */
    static long sendAheadMicros(RunPlan plan) {
        if (plan.hasSendAheadMicros()) {
            return Integer.toUnsignedLong(plan.getSendAheadMicros());
        }
        return Math.max(0, Long.getLong(SEND_AHEAD_PROPERTY, DEFAULT_SEND_AHEAD_MICROS));
    }

    private static long orDefault(long value, long fallback) {
        return value == 0 ? fallback : value;
    }
}
