package io.salvo.cli.live;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeCount;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import org.HdrHistogram.Histogram;

/**
 * A scripted run for the live views: an 8 s plan (4 s at 100/s, then a ramp from 100 to 200/s over 4 s) and
 * snapshots built by hand, with latencies below 2048 us, where HdrHistogram's buckets are 1 us wide, so every
 * percentile is an exact number the tests can state.
 */
final class SyntheticRun {

    static final String RUN_ID = "run-1";

    private SyntheticRun() {}

    static RunPlan plan() {
        return RunPlan.newBuilder()
                .setName("demo")
                .setIntervalMillis(1000)
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(4000)
                        .setStartRatePerSecond(100)
                        .setEndRatePerSecond(100))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(4000)
                        .setStartRatePerSecond(100)
                        .setEndRatePerSecond(200))
                .build();
    }

    /**
     * Interval {@code index}: 2xx responses at {@code okMicros} and 5xx at {@code errorMicros}, each value once
     * per entry; percentiles and counts filled in as the coordinator computes them.
     */
    static LiveSnapshot.Builder interval(long index, long[] okMicros, long[] errorMicros) {
        Histogram all = HistogramSpec.newHistogram();
        for (long v : okMicros) {
            all.recordValue(v);
        }
        for (long v : errorMicros) {
            all.recordValue(v);
        }
        LiveSnapshot.Builder s = LiveSnapshot.newBuilder()
                .setRunId(RUN_ID)
                .setState(RunState.RUN_STATE_RUNNING)
                .setIntervalIndex(index)
                .setIntervalMillis(1000)
                .setWorkersReported(2)
                .setWorkersAssigned(2)
                .setSent(okMicros.length + errorMicros.length)
                .setCompleted(okMicros.length + errorMicros.length)
                .setSuccesses(okMicros.length)
                .setErrors(errorMicros.length)
                .setSuccessRatePerSecond(okMicros.length)
                .setTargetRatePerSecond(okMicros.length + errorMicros.length)
                .setLatencyP50Micros(all.getValueAtPercentile(50))
                .setLatencyP95Micros(all.getValueAtPercentile(95))
                .setLatencyP99Micros(all.getValueAtPercentile(99))
                .setLatencyMaxMicros(all.getMaxValue())
                .setLatencyMicros(HistogramCodec.encode(all))
                .setSchedulerLagP99Micros(120)
                .setSchedulerLagMaxMicros(1500)
                .setRespondingInstances(3)
                .setNewInstances(index == 0 ? 3 : 0);
        if (okMicros.length > 0) {
            s.addOutcomeCounts(OutcomeCount.newBuilder()
                    .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                    .setCount(okMicros.length));
        }
        if (errorMicros.length > 0) {
            s.addOutcomeCounts(OutcomeCount.newBuilder()
                    .setOutcome(OutcomeClass.OUTCOME_CLASS_5XX)
                    .setCount(errorMicros.length));
        }
        return s;
    }

    static long[] times(int count, long micros) {
        long[] values = new long[count];
        java.util.Arrays.fill(values, micros);
        return values;
    }

    static long[] concat(long[] a, long[] b) {
        long[] values = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, values, a.length, b.length);
        return values;
    }

    static LiveEvent event(LiveEventKind kind, long offsetMicros, String text) {
        return LiveEvent.newBuilder()
                .setKind(kind)
                .setOffsetMicros(offsetMicros)
                .setText(text)
                .build();
    }

    /** Adds an event both ways the coordinator sends it: structured, and as a line of text. */
    static LiveSnapshot.Builder withEvent(LiveSnapshot.Builder s, LiveEvent e) {
        return s.addLiveEvents(e).addEvents(e.getText());
    }

    static LiveSnapshot end(RunState state, String message) {
        return LiveSnapshot.newBuilder()
                .setRunId(RUN_ID)
                .setState(state)
                .setMessage(message)
                .build();
    }
}
