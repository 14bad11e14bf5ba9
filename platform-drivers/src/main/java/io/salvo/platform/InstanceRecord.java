package io.salvo.platform;

import java.time.Instant;

/**
 * Ground truth about one instance, as the platform saw it. Null instants have not happened (yet).
 *
 * @param name                  the platform's name for it (e.g. {@code local-3}, a pod name)
 * @param instanceId            the id the instance reports itself ({@code Salvo-Instance-Id}); null until known
 * @param spawnedAt             the platform started it (process launched, pod created)
 * @param readyAt               it declared itself ready (model loaded)
 * @param stoppedAt             it was gone
 * @param firstRequestRoutedAt  the platform forwarded it its first request
 * @param firstReplyAt          the platform received its first reply
 * @param modelLoadMillis       model load time it reported; null if unknown
 * @param stopReason            why it stopped (idle, forced cold, teardown, crashed with code n); null while running
 */
public record InstanceRecord(
        String name,
        String instanceId,
        Instant spawnedAt,
        Instant readyAt,
        Instant stoppedAt,
        Instant firstRequestRoutedAt,
        Instant firstReplyAt,
        Long modelLoadMillis,
        String stopReason) {}
