package io.salvo.detect;

import io.salvo.core.histogram.HistogramSpec;
import io.salvo.detect.IntervalObservation.PreciseMarks;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Builds one synthetic interval with known content; every success takes exactly the given latency. */
final class SyntheticInterval {

    private final long index;
    private long intended;
    private long sent;
    private final Histogram success = HistogramSpec.newHistogram();
    private long errors;
    private final Map<String, Long> instances = new LinkedHashMap<>();
    private Long firstSend;
    private Long firstSuccess;
    private Histogram errorOffsets;
    private List<InstanceFirstResponse> firstResponses = List.of();
    private Histogram coldLatency;

    private SyntheticInterval(long index) {
        this.index = index;
    }

    static SyntheticInterval interval(long index) {
        return new SyntheticInterval(index);
    }

    /** intended and sent both {@code count}. */
    SyntheticInterval target(long count) {
        this.intended = count;
        this.sent = count;
        return this;
    }

    SyntheticInterval successes(long count, long latencyMicros) {
        success.recordValueWithCount(latencyMicros, count);
        return this;
    }

    SyntheticInterval errors(long count) {
        this.errors += count;
        return this;
    }

    SyntheticInterval instance(String id, long responses) {
        instances.put(id, responses);
        return this;
    }

    SyntheticInterval firstSendAt(long offsetMicros) {
        this.firstSend = offsetMicros;
        return this;
    }

    SyntheticInterval firstSuccessAt(long offsetMicros) {
        this.firstSuccess = offsetMicros;
        return this;
    }

    /** Error completions at these offsets from the interval start. */
    SyntheticInterval errorsCompletedAt(long... offsetsFromIntervalStart) {
        errorOffsets = HistogramSpec.newHistogram();
        for (long offset : offsetsFromIntervalStart) {
            errorOffsets.recordValue(offset);
        }
        errors += offsetsFromIntervalStart.length;
        return this;
    }

    SyntheticInterval firstResponses(InstanceFirstResponse... responses) {
        this.firstResponses = List.of(responses);
        return this;
    }

    /** Cold requests (already counted in successes) with their latency. */
    SyntheticInterval coldSuccesses(long count, long latencyMicros) {
        if (coldLatency == null) {
            coldLatency = HistogramSpec.newHistogram();
        }
        coldLatency.recordValueWithCount(latencyMicros, count);
        return this;
    }

    /** Declares that cold-request histograms are reported, even when this interval had none. */
    SyntheticInterval noColdSuccesses() {
        if (coldLatency == null) {
            coldLatency = HistogramSpec.newHistogram();
        }
        return this;
    }

    IntervalObservation build() {
        PreciseMarks marks = new PreciseMarks(firstSend, firstSuccess, errorOffsets, firstResponses, coldLatency);
        return new IntervalObservation(index, intended, sent, success, errors, instances, marks);
    }
}
