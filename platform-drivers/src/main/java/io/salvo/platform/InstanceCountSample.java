package io.salvo.platform;

import java.time.Instant;

/** Instance counts at one instant; a sample is taken whenever a count changes. */
public record InstanceCountSample(Instant at, int starting, int ready) {

    public int total() {
        return starting + ready;
    }
}
