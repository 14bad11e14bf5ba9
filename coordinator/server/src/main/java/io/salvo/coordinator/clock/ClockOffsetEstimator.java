package io.salvo.coordinator.clock;

/**
 * Estimates a worker's clock offset from NTP-style round trips over its stream.
 *
 * <p>For a probe sent at coordinator time t0, received by the worker at t1 (worker clock), answered at
 * t2 (worker clock) and received back at t3 (coordinator clock): offset = ((t1 − t0) + (t2 − t3)) / 2
 * and round trip = (t3 − t0) − (t2 − t1). The sample with the smallest round trip wins, because its
 * error is bounded by half that round trip and queuing delays only ever add to it.
 *
 * <p>Not thread-safe: one estimator per worker stream, fed from that stream's thread.
 */
public final class ClockOffsetEstimator {

    private long bestOffsetNanos;
    private long bestRoundTripNanos = Long.MAX_VALUE;
    private int samples;

    /** Adds one probe's four timestamps, all in unix nanos of their own clocks. */
    public void addSample(
            long t0CoordinatorSent, long t1WorkerReceived, long t2WorkerSent, long t3CoordinatorReceived) {
        long roundTrip = (t3CoordinatorReceived - t0CoordinatorSent) - (t2WorkerSent - t1WorkerReceived);
        if (roundTrip < 0) {
            // Clocks stepped during the probe; the sample says nothing reliable.
            return;
        }
        long offset = ((t1WorkerReceived - t0CoordinatorSent) + (t2WorkerSent - t3CoordinatorReceived)) / 2;
        samples++;
        if (roundTrip < bestRoundTripNanos) {
            bestRoundTripNanos = roundTrip;
            bestOffsetNanos = offset;
        }
    }

    public boolean hasEstimate() {
        return samples > 0;
    }

    /** Worker clock minus coordinator clock, in nanoseconds (0 before the first sample). */
    public long offsetNanos() {
        return samples > 0 ? bestOffsetNanos : 0;
    }

    /** Round trip of the sample behind {@link #offsetNanos()}; the offset's error is at most half of it. */
    public long roundTripNanos() {
        return samples > 0 ? bestRoundTripNanos : -1;
    }

    public int samples() {
        return samples;
    }
}
