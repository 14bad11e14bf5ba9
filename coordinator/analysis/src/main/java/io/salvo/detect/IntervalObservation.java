package io.salvo.detect;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What the detectors read from one merged interval. Built from a {@link MergedInterval}; the
 * {@code precise} part comes from the workers' sub-interval marks (MergedInterval fields 20+, see
 * docs/detectors.md) and is empty where a merged interval lacks them.
 *
 * @param index               interval index; interval i covers [i*interval, (i+1)*interval) from run start
 * @param intended            requests scheduled in this interval (sets the target rate)
 * @param sent                requests actually sent in this interval
 * @param successLatency      latency of 2xx responses completed in this interval, microseconds
 * @param errors              non-2xx outcomes (4xx, 5xx, timeouts, connect errors) completed in this interval
 * @param responsesByInstance captured instance-id header: distinct value to response count
 * @param precise             sub-interval data, or {@link PreciseMarks#NONE}
 */
public record IntervalObservation(
        long index,
        long intended,
        long sent,
        Histogram successLatency,
        long errors,
        Map<String, Long> responsesByInstance,
        PreciseMarks precise) {

    /**
     * Sub-interval facts a worker can report exactly and the coordinator can merge exactly.
     *
     * @param firstSendOffsetMicros      earliest actual send in the interval, microseconds since run start (min over workers)
     * @param firstSuccessOffsetMicros   earliest 2xx completion in the interval, microseconds since run start (min)
     * @param errorCompletionOffsets     error completion instants, microseconds since the interval's start
     *                                   (HdrHistogram, merged with add); lets errors before the first 2xx be counted
     * @param firstResponses             first response of each instance seen in the interval
     * @param coldSuccessLatency         2xx latency of requests sent before their instance was ready (a subset of
     *                                   {@code successLatency}, merged with add)
     */
    public record PreciseMarks(
            Long firstSendOffsetMicros,
            Long firstSuccessOffsetMicros,
            Histogram errorCompletionOffsets,
            List<InstanceFirstResponse> firstResponses,
            Histogram coldSuccessLatency) {

        public static final PreciseMarks NONE = new PreciseMarks(null, null, null, List.of(), null);

        public PreciseMarks {
            firstResponses = List.copyOf(firstResponses);
        }

        /**
         * True when the interval comes from workers that report marks (they always stamp the first send and
         * first 2xx of an interval that has any); such workers also report every instance's first response, so
         * an instance whose first response is missing was already running before the run.
         */
        public boolean fromMarkingWorkers() {
            return firstSendOffsetMicros != null || firstSuccessOffsetMicros != null;
        }
    }

    public IntervalObservation {
        responsesByInstance = Map.copyOf(responsesByInstance);
    }

    public long successes() {
        return successLatency.getTotalCount();
    }

    public long responses() {
        return successes() + errors;
    }

    /**
     * Decodes a merged interval.
     *
     * @throws IllegalArgumentException if a histogram is corrupt (the coordinator's own merge output never is)
     */
    public static IntervalObservation from(MergedInterval interval, String instanceHeader) {
        Histogram success = HistogramSpec.newHistogram();
        long errors = 0;
        try {
            for (OutcomeHistograms outcome : interval.getOutcomesList()) {
                if (outcome.getLatencyMicros().isEmpty()) {
                    continue;
                }
                Histogram latency =
                        HistogramCodec.decode(outcome.getLatencyMicros().toByteArray());
                if (outcome.getOutcome() == OutcomeClass.OUTCOME_CLASS_2XX) {
                    success.add(latency);
                } else {
                    errors += latency.getTotalCount();
                }
            }
        } catch (CorruptHistogramException e) {
            throw new IllegalArgumentException("interval " + interval.getIntervalIndex() + ": " + e.getMessage(), e);
        }
        return new IntervalObservation(
                interval.getIntervalIndex(),
                interval.getIntended(),
                interval.getSent(),
                success,
                errors,
                responsesByInstance(interval, instanceHeader),
                preciseMarks(interval, errors));
    }

    /** The captured instance-id header of a merged interval: each distinct non-empty value to its response count. */
    public static Map<String, Long> responsesByInstance(MergedInterval interval, String instanceHeader) {
        Map<String, Long> instances = new TreeMap<>();
        for (CapturedHeader header : interval.getCapturedHeadersList()) {
            if (header.getName().equalsIgnoreCase(instanceHeader)) {
                for (HeaderValueCount value : header.getValuesList()) {
                    if (!value.getValue().isEmpty()) {
                        instances.merge(value.getValue(), value.getCount(), Long::sum);
                    }
                }
            }
        }
        return instances;
    }

    /**
     * The workers' sub-interval marks, or {@link PreciseMarks#NONE} parts where the interval lacks them (a
     * merged result from before the fields existed, or a worker that did not fill them). The error-instant
     * histogram is used only when it accounts for every error of the interval, so errors are never undercounted.
     */
    static PreciseMarks preciseMarks(MergedInterval interval, long errors) {
        Long firstSend = interval.hasFirstSendOffsetMicros() ? interval.getFirstSendOffsetMicros() : null;
        Long firstSuccess = interval.hasFirstSuccessOffsetMicros() ? interval.getFirstSuccessOffsetMicros() : null;
        Histogram errorOffsets = null;
        if (interval.getErrorCompletionOffsetsComplete()) {
            if (interval.getErrorCompletionOffsetMicros().isEmpty()) {
                errorOffsets = errors == 0 ? HistogramSpec.newHistogram() : null;
            } else {
                try {
                    Histogram decoded = HistogramCodec.decode(
                            interval.getErrorCompletionOffsetMicros().toByteArray());
                    errorOffsets = decoded.getTotalCount() == errors ? decoded : null;
                } catch (CorruptHistogramException e) {
                    errorOffsets = null;
                }
            }
        }
        List<InstanceFirstResponse> firstResponses = interval.getInstanceFirstResponsesList().stream()
                .map(r -> new InstanceFirstResponse(
                        r.getInstanceId(),
                        r.getOutcome() == OutcomeClass.OUTCOME_CLASS_2XX,
                        r.getLatencyMicros(),
                        r.getCompletedOffsetMicros(),
                        r.hasModelLoadMillis() ? r.getModelLoadMillis() : null))
                .toList();
        if (firstSend == null && firstSuccess == null && errorOffsets == null && firstResponses.isEmpty()) {
            return PreciseMarks.NONE;
        }
        return new PreciseMarks(firstSend, firstSuccess, errorOffsets, firstResponses, null);
    }

    /** An empty interval, standing in for an index the merger never produced (nobody reported it). */
    static IntervalObservation empty(long index) {
        return new IntervalObservation(index, 0, 0, HistogramSpec.newHistogram(), 0, Map.of(), PreciseMarks.NONE);
    }
}
