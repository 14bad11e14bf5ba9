package io.salvo.platform.kubernetes;

import io.salvo.platform.PlatformEvent;
import java.time.Instant;

/**
 * A Kubernetes event, reduced to what the breakdown reads.
 *
 * @param at     {@code eventTime} when set (microseconds), else {@code firstTimestamp} (seconds), else
 *               {@code lastTimestamp}
 * @param type   {@code Normal} or {@code Warning}
 * @param kind   the involved object's kind ({@code Pod}, {@code Node}, {@code ReplicaSet}, ...)
 * @param name   the involved object's name
 * @param reason e.g. {@code Scheduled}, {@code Pulled}, {@code TriggeredScaleUp}, {@code FailedScheduling}
 */
public record ClusterEvent(Instant at, String type, String kind, String name, String reason, String message) {

    boolean about(String objectKind, String objectName) {
        return objectKind.equals(kind) && objectName.equals(name);
    }

    PlatformEvent toPlatformEvent() {
        return new PlatformEvent(at, type, kind.toLowerCase(java.util.Locale.ROOT) + "/" + name, reason, message);
    }
}
