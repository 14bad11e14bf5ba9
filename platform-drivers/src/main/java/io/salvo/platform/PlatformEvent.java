package io.salvo.platform;

import java.time.Instant;
import java.util.Objects;

/**
 * Something the platform said about the deployment while it ran, for the live view and the report: a Kubernetes
 * event ({@code FailedScheduling}, {@code TriggeredScaleUp}, {@code Pulled}), a scale decision, a crash.
 *
 * @param at       when the platform says it happened
 * @param severity {@code Warning} or {@code Normal} (Kubernetes' event types; other platforms use the same two)
 * @param object   what it is about, e.g. {@code pod/model-7d9f-x2k4q} or {@code node/pool-a-3}
 * @param reason   the platform's short reason, e.g. {@code FailedScheduling}
 * @param message  the platform's message, as it wrote it
 */
public record PlatformEvent(Instant at, String severity, String object, String reason, String message) {

    public PlatformEvent {
        Objects.requireNonNull(at, "at");
        severity = severity == null ? "Normal" : severity;
        object = object == null ? "" : object;
        reason = reason == null ? "" : reason;
        message = message == null ? "" : message;
    }

    public boolean warning() {
        return "Warning".equals(severity);
    }

    /** One line: {@code Warning FailedScheduling pod/x: 0/3 nodes are available: 3 Insufficient cpu.} */
    public String line() {
        return severity + " " + reason + " " + object + (message.isEmpty() ? "" : ": " + message);
    }
}
