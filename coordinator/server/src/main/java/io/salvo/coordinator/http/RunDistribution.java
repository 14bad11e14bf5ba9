package io.salvo.coordinator.http;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.report.RunReport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The exact latency distribution of a run so far: the sum of every shown interval's merged histogram (each live
 * snapshot carries its interval's). Snapshots are only queued as they arrive (the feed calls under its lock) and
 * added when someone asks, so an unwatched run costs nothing but the queued bytes.
 */
final class RunDistribution implements StreamObserver<LiveSnapshot> {

    private static final Logger LOG = Logger.getLogger(RunDistribution.class.getName());

    private final String runId;
    private final List<ByteString> pending = new ArrayList<>();
    private final Histogram sum = HistogramSpec.newHistogram();
    private long intervals;
    private long lastIntervalIndex = -1;
    private boolean ended;

    RunDistribution(String runId) {
        this.runId = runId;
    }

    @Override
    public synchronized void onNext(LiveSnapshot snapshot) {
        if (SnapshotJson.terminal(snapshot.getState())) {
            ended = true;
            return;
        }
        pending.add(snapshot.getLatencyMicros());
        intervals++;
        lastIntervalIndex = snapshot.getIntervalIndex();
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public synchronized void onCompleted() {
        ended = true;
    }

    synchronized boolean ended() {
        return ended;
    }

    /**
     * {@code count}, {@code intervals}, {@code last_interval_index}, and {@code points}: percentile and value (ms) at
     * the steps of HdrHistogram's classic percentile distribution, the shape the HTML report draws on a 1/(1-p) axis.
     */
    synchronized JsonObject json() {
        for (ByteString bytes : pending) {
            if (bytes.isEmpty()) {
                continue; // a coordinator of an earlier revision, or an interval without responses
            }
            try {
                sum.add(HistogramCodec.decode(bytes));
            } catch (HistogramCodec.CorruptHistogramException e) {
                LOG.warning(() -> "run " + runId + ": a live snapshot's histogram is unreadable: " + e.getMessage());
            }
        }
        pending.clear();
        JsonArray points = new JsonArray();
        if (sum.getTotalCount() > 0) {
            for (HistogramIterationValue v : sum.percentiles(RunReport.DISTRIBUTION_TICKS_PER_HALF_DISTANCE)) {
                points.add(new JsonObject()
                        .put("percentile", v.getPercentileLevelIteratedTo())
                        .put("value_ms", v.getValueIteratedTo() / 1000.0));
            }
        }
        JsonObject o = new JsonObject()
                .put("run_id", runId)
                .put("count", sum.getTotalCount())
                .put("intervals", intervals)
                .put("last_interval_index", lastIntervalIndex)
                .put("points", points);
        if (sum.getTotalCount() > 0) {
            o.put(
                    "latency_micros",
                    new JsonObject()
                            .put("p50", sum.getValueAtPercentile(50))
                            .put("p95", sum.getValueAtPercentile(95))
                            .put("p99", sum.getValueAtPercentile(99))
                            .put("max", sum.getMaxValue()));
        }
        return o;
    }
}
