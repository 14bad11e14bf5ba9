package io.salvo.platform.cloudrun;

import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformException;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** What the platform's own monitoring says about a service (Cloud Monitoring in production, a fake in tests). */
public interface PlatformMetrics extends AutoCloseable {

    /** Instance counts of the service over [from, to), in time order. */
    List<InstanceCountSample> instanceCounts(String service, Instant from, Instant to) throws PlatformException;

    /** Requests the service received in [from, to); empty when the platform has no figure. */
    OptionalLong requestCount(String service, Instant from, Instant to) throws PlatformException;

    /**
     * Instance-seconds the platform itself counted as billable in [from, to) (Cloud Run: time an instance starts or
     * serves at least one request under request-based billing; its whole life under instance-based billing); empty
     * when the platform has no such figure.
     */
    default OptionalDouble billableInstanceSeconds(String service, Instant from, Instant to) throws PlatformException {
        return OptionalDouble.empty();
    }

    /** Names the source for labels, e.g. "Cloud Monitoring run.googleapis.com/container/instance_count". */
    String source();

    @Override
    void close();
}
