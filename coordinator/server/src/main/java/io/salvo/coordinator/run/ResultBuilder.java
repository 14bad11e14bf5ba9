package io.salvo.coordinator.run;

import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.WorkerSummary;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's result as it stands: what was merged, who carried the load and how each worker ended, every
 * re-slice and takeover, and one message with the run's notes and what was refused. Pure; one use.
 */
final class ResultBuilder {

    private final RunResult.Builder result;
    private final List<String> notes = new ArrayList<>();
    private long rejected;
    private String firstRejection;

    ResultBuilder(String runId, RunPlan plan, long startUnixNanos) {
        // The header sets are credentials (signatures, ID tokens): results and reports leave them out.
        RunPlan shown = plan.getRequest().hasHeaderSets()
                ? plan.toBuilder()
                        .setRequest(plan.getRequest().toBuilder().clearHeaderSets())
                        .build()
                : plan;
        result = RunResult.newBuilder().setRunId(runId).setPlan(shown).setStartUnixNanos(startUnixNanos);
    }

    /** The run's state; {@code endUnixNanos} is 0 while it goes on. */
    ResultBuilder state(RunState state, long endUnixNanos) {
        result.setState(state).setEndUnixNanos(endUnixNanos);
        return this;
    }

    /** Every interval with data, in index order, late reports included. */
    ResultBuilder intervals(List<MergedInterval> intervals) {
        result.addAllIntervals(intervals);
        return this;
    }

    ResultBuilder reslices(List<Reslice> reslices) {
        result.addAllReslices(reslices);
        return this;
    }

    ResultBuilder takeovers(List<CoordinatorTakeover> takeovers) {
        result.addAllTakeovers(takeovers);
        return this;
    }

    /** What happened to the run, in order (losses, stops, takeovers). */
    ResultBuilder notes(List<String> runNotes) {
        notes.addAll(runNotes);
        return this;
    }

    /** Reports refused by one coordinator (each counts its own), with its first reasons. */
    ResultBuilder rejections(long count, List<String> reasons) {
        rejected += count;
        if (firstRejection == null && !reasons.isEmpty()) {
            firstRejection = reasons.get(0);
        }
        return this;
    }

    /** One worker: its slice, what it reported sending, its clock estimate and how it ended. */
    ResultBuilder worker(AssignedWorker w, long intervalsReported) {
        WorkerSummary.Builder summary = WorkerSummary.newBuilder()
                .setWorkerId(w.workerId)
                .setRegion(w.hello.getRegion())
                .setCores(w.hello.getCores())
                .setSlice(w.slice)
                .setIntervalsReported(intervalsReported)
                .setClockOffsetNanos(w.clockOffsetNanos)
                .setClockRoundTripNanos(w.clockRoundTripNanos)
                .setFinished(w.finished)
                .setLost(w.lost);
        synchronized (w) {
            summary.setSent(w.sent)
                    .setCompleted(w.completed)
                    .putAllSentByInterval(w.sentByInterval.byFirstInterval())
                    .setSentByIntervalWidth(w.sentByInterval.width());
        }
        result.addWorkers(summary);
        return this;
    }

    RunResult build() {
        List<String> messages = new ArrayList<>(notes);
        if (rejected > 0 && firstRejection != null) {
            messages.add(rejected + " reports rejected (first: " + firstRejection + ")");
        }
        return result.setRejectedReports(rejected)
                .setMessage(String.join("; ", messages))
                .build();
    }
}
