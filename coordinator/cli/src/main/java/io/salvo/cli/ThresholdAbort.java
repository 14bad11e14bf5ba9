package io.salvo.cli;

import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import io.salvo.report.DetectorReport;
import io.salvo.thresholds.AbortOnFail;
import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * The CLI's side of abortOnFail: feeds each live snapshot to {@link AbortOnFail} and, the first time a criterion can
 * no longer pass, says so and asks the coordinator to stop the run (what was measured is still reported).
 */
final class ThresholdAbort {

    private final AbortOnFail watch;
    private final PrintStream err;
    private final Consumer<String> stopRun;
    private volatile AbortOnFail.Verdict verdict;

    /** {@code stopRun} stops the run with the given reason. */
    ThresholdAbort(RunPlan plan, PrintStream err, Consumer<String> stopRun) {
        this.watch = new AbortOnFail(plan, DetectorReport.settingsFor(plan).steadyWindowIntervals());
        this.err = err;
        this.stopRun = stopRun;
    }

    /** The next interval's snapshot, each once and in order. */
    void accept(LiveSnapshot snapshot) {
        if (verdict != null || !watch.watching()) {
            return;
        }
        watch.accept(snapshot).ifPresent(v -> {
            verdict = v;
            String reason = "threshold '" + v.criterion().text() + "' can no longer pass (" + v.why()
                    + "); abortOnFail stopped the run";
            err.println("salvo: " + reason);
            stopRun.accept(reason);
        });
    }

    /** Whether abortOnFail stopped the run. */
    boolean aborted() {
        return verdict != null;
    }
}
