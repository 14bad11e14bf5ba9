package io.salvo.platform.lambda;

import java.time.Instant;

/**
 * One CloudWatch Logs event of the function's log group, as the driver reads it.
 *
 * @param stream    the log stream: one per execution environment
 * @param timestamp when the event happened (CloudWatch's event timestamp)
 * @param message   the line
 */
public record LogEvent(String stream, Instant timestamp, String message) {}
