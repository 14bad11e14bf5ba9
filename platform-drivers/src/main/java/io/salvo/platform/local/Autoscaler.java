package io.salvo.platform.local;

/**
 * Scaling decisions, free of the clock: the caller passes the time. Demand is requests in flight plus
 * requests held waiting for capacity; capacity is live instances (starting or ready) times the
 * concurrency per instance.
 */
final class Autoscaler {

    private final ScalingSettings settings;
    private long overloadedSinceNanos = -1;

    Autoscaler(ScalingSettings settings) {
        this.settings = settings;
    }

    /** Instances to start now. */
    int instancesToStart(long nowNanos, int demand, int liveInstances) {
        int wanted = Math.min(
                settings.maxInstances(), Math.max(settings.minInstances(), ceilDiv(demand, settings.concurrency())));
        if (wanted <= liveInstances) {
            overloadedSinceNanos = -1;
            return 0;
        }
        if (liveInstances == 0 || liveInstances < settings.minInstances()) {
            // from zero (or below the floor) nothing can serve: start at once, like Knative's activator
            overloadedSinceNanos = -1;
            return wanted - liveInstances;
        }
        if (overloadedSinceNanos < 0) {
            overloadedSinceNanos = nowNanos;
        }
        if (nowNanos - overloadedSinceNanos >= settings.scaleOutDelay().toNanos()) {
            overloadedSinceNanos = -1;
            return wanted - liveInstances;
        }
        return 0;
    }

    /** True when an instance idle since {@code idleSinceNanos} should stop, given the live count. */
    boolean shouldStopIdle(long nowNanos, long idleSinceNanos, int liveInstances) {
        return liveInstances > settings.minInstances()
                && nowNanos - idleSinceNanos >= settings.idleTimeout().toNanos();
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
