package io.salvo.platform.local;

import java.time.Duration;

/**
 * How the local platform scales.
 *
 * @param concurrency    requests one instance serves at once; more wait in the router and count as demand
 * @param minInstances   instances kept when idle (0 = scale to zero)
 * @param maxInstances   instances never exceeded
 * @param scaleOutDelay  demand above capacity must last this long before instances are added (HPA's
 *                       stabilization); scaling from zero or back up to the minimum is immediate, as Knative's
 *                       activator does
 * @param idleTimeout    an instance with nothing in flight for this long is stopped, down to the minimum
 */
public record ScalingSettings(
        int concurrency, int minInstances, int maxInstances, Duration scaleOutDelay, Duration idleTimeout) {

    public ScalingSettings {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency per instance must be at least 1, got " + concurrency);
        }
        if (minInstances < 0 || maxInstances < 1 || minInstances > maxInstances) {
            throw new IllegalArgumentException("instances must satisfy 0 <= min <= max and max >= 1, got min "
                    + minInstances + ", max " + maxInstances);
        }
        if (scaleOutDelay.isNegative() || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("scale-out delay and idle timeout must not be negative");
        }
    }

    public ScalingSettings with(Integer concurrency, Integer min, Integer max, Duration delay, Duration idle) {
        return new ScalingSettings(
                concurrency != null ? concurrency : this.concurrency,
                min != null ? min : this.minInstances,
                max != null ? max : this.maxInstances,
                delay != null ? delay : this.scaleOutDelay,
                idle != null ? idle : this.idleTimeout);
    }
}
