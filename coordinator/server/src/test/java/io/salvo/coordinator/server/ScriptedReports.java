package io.salvo.coordinator.server;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import org.HdrHistogram.Histogram;

/** Interval reports as a worker would send them, for scripted workers in coordinator tests. */
public final class ScriptedReports {

    private ScriptedReports() {}

    /** Epoch 1, every latency a 2xx with the same service time; sent = completed = intended = the sample count. */
    public static IntervalReport report(String runId, String worker, long index, long... latenciesMicros) {
        Histogram h = HistogramSpec.newHistogram();
        for (long v : latenciesMicros) {
            h.recordValue(v);
        }
        ByteString bytes = HistogramCodec.encode(h);
        return IntervalReport.newBuilder()
                .setRunId(runId)
                .setWorkerId(worker)
                .setEpoch(1)
                .setIntervalIndex(index)
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                        .setLatencyMicros(bytes)
                        .setServiceTimeMicros(bytes))
                .setSent(latenciesMicros.length)
                .setCompleted(latenciesMicros.length)
                .setIntended(latenciesMicros.length)
                .build();
    }
}
