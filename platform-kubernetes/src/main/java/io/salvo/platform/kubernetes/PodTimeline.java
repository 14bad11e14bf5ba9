package io.salvo.platform.kubernetes;

import java.time.Instant;

/**
 * One pod's boundaries as the API server recorded them (its own timestamps, not when Salvo looked). Null: not (yet).
 *
 * @param name               pod name
 * @param createdAt          {@code metadata.creationTimestamp}
 * @param scheduledAt        the {@code PodScheduled} condition's transition to True
 * @param node               {@code spec.nodeName}
 * @param containerStartedAt the model-server container's {@code state.running.startedAt}
 * @param readyAt            the {@code Ready} condition's transition to True
 * @param goneAt             {@code metadata.deletionTimestamp}, or when Salvo last saw the pod before it vanished
 */
public record PodTimeline(
        String name,
        Instant createdAt,
        Instant scheduledAt,
        String node,
        Instant containerStartedAt,
        Instant readyAt,
        Instant goneAt) {}
