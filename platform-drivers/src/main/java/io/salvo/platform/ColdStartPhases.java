package io.salvo.platform;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Where the time of one cold start went: consecutive phases from the moment the platform created the instance to its
 * first response. Each phase ends where the next begins; a phase the platform did not go through (no node was
 * provisioned) is absent, not zero.
 *
 * @param instance        the platform's name for the instance (a pod name)
 * @param instanceId      the id it reports in {@code Salvo-Instance-Id}; null when no response from it was seen
 * @param placement       where it ran (a node name); null when unknown
 * @param phases          in time order
 * @param modelLoadMillis what the model server said loading took ({@code Salvo-Model-Load-Ms}), part of the phase
 *                        that ends at readiness; null when unknown
 * @param complete        true when the instance reached its last boundary (first response, or ready when the
 *                        responses say nothing)
 */
public record ColdStartPhases(
        String instance,
        String instanceId,
        String placement,
        List<Phase> phases,
        Long modelLoadMillis,
        boolean complete) {

    public ColdStartPhases {
        Objects.requireNonNull(instance, "instance");
        phases = List.copyOf(phases);
    }

    /** One phase: from {@code start} to {@code end}. */
    public record Phase(String name, Instant start, Instant end) {

        public Phase {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
        }

        public Duration duration() {
            return Duration.between(start, end);
        }
    }

    /** From the first phase's start to the last one's end; zero without phases. */
    public Duration total() {
        return phases.isEmpty()
                ? Duration.ZERO
                : Duration.between(
                        phases.get(0).start(), phases.get(phases.size() - 1).end());
    }

    /** The phase called {@code name}, or null when this cold start did not go through it. */
    public Phase phase(String name) {
        return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }
}
