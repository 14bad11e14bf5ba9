package io.salvo.platform.lambda;

import java.time.Instant;

/**
 * One execution environment as its log stream tells it: the ground truth behind a cold start.
 *
 * @param logStream          the CloudWatch log stream (one per execution environment)
 * @param instanceId         the model-server's {@code Salvo-Instance-Id}; null when its SALVO_INSTANCE line was not
 *                           (yet) in the window read
 * @param initializedAt      when the model-server logged that its model was loaded (end of init); null if unknown
 * @param modelLoadMs        the model-server's own model load time; null if unknown
 * @param initDurationMs     Lambda's Init Duration of this environment's cold start; null if none was reported in
 *                           the window (provisioned, restored by SnapStart, or started before the window)
 * @param restoreDurationMs  SnapStart's Restore Duration; null when not restored
 * @param firstReportAt      the first REPORT line (end of the first invocation) in the window; null if none
 * @param invocations        REPORT lines in the window
 * @param billedDurationMs   sum of Billed Duration (and Billed Restore Duration) in the window
 * @param maxMemoryUsedMb    the largest Max Memory Used reported
 * @param memorySizeMb       the configured memory the REPORT lines name
 */
public record LambdaInstance(
        String logStream,
        String instanceId,
        Instant initializedAt,
        Long modelLoadMs,
        Double initDurationMs,
        Double restoreDurationMs,
        Instant firstReportAt,
        long invocations,
        long billedDurationMs,
        int maxMemoryUsedMb,
        int memorySizeMb) {}
