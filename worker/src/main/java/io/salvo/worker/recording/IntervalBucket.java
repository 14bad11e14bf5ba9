package io.salvo.worker.recording;

import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.OutcomeClass;
import java.util.ArrayList;
import java.util.HashMap;
import org.HdrHistogram.Histogram;

/**
 * Everything one lane recorded for one interval index. Written by exactly one thread (the lane's)
 * while it is the lane's active bucket, read by the harvesting thread once it has been retired;
 * {@link LaneRecorder}'s phaser orders the two.
 */
final class IntervalBucket {

    /** Indexed by {@link OutcomeClass#getNumber()}; created on first use and then reused. */
    final Histogram[] latency = new Histogram[OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR_VALUE + 1];

    final Histogram[] serviceTime = new Histogram[latency.length];
    final Histogram schedulerLag = HistogramSpec.newHistogram();
    /**
     * Request phases (write − dispatch, first byte − write, TCP connect, TLS handshake), indexed by the
     * {@code PHASE_*} constants; each created on first use and then reused, since most buckets of a run
     * never see a connect or a handshake.
     */
    final Histogram[] phases = new Histogram[PHASE_COUNT];

    static final int PHASE_CONNECTION_WAIT = 0;
    static final int PHASE_TIME_TO_FIRST_BYTE = 1;
    static final int PHASE_CONNECT = 2;
    static final int PHASE_TLS_HANDSHAKE = 3;
    static final int PHASE_COUNT = 4;
    /** Per captured header name (by position), distinct value → count. */
    final HashMap<String, long[]>[] headerValues;

    long index;
    long intended;
    long sent;
    long completed;
    long lateSends;
    long capHits;
    long unsent;
    long unsentConnectionWait;
    long unsentConnectFailed;
    long connectionWaits;
    /** Connects and handshakes recorded (they alone can make a bucket non-empty). */
    long connectionEvents;
    /** Earliest send / 2xx completion in this bucket, nanoTime; {@link Long#MAX_VALUE} when none. */
    long firstSendNanos = Long.MAX_VALUE;

    long firstSuccessNanos = Long.MAX_VALUE;
    /** Non-2xx completion instants, microseconds since this bucket's interval start; created on first error. */
    Histogram errorCompletionOffsets;
    /** Responses that were their instance's first request (Salvo-Instance-Request-Seq 1); rare, so a list. */
    final ArrayList<InstanceFirstResponse> instanceFirstResponses = new ArrayList<>(0);

    // Java cannot create an array of a generic type; this one never leaves the bucket, so no other type gets in.
    @SuppressWarnings({"unchecked", "rawtypes"})
    IntervalBucket(int capturedHeaderCount, long index) {
        headerValues = new HashMap[capturedHeaderCount];
        for (int i = 0; i < capturedHeaderCount; i++) {
            headerValues[i] = new HashMap<>();
        }
        this.index = index;
    }

    boolean isEmpty() {
        return intended == 0 && sent == 0 && completed == 0 && capHits == 0 && unsent == 0 && connectionEvents == 0;
    }

    Histogram phase(int phase) {
        Histogram h = phases[phase];
        if (h == null) {
            h = HistogramSpec.newHistogram();
            phases[phase] = h;
        }
        return h;
    }

    Histogram latency(OutcomeClass outcome) {
        int i = outcome.getNumber();
        Histogram h = latency[i];
        if (h == null) {
            h = HistogramSpec.newHistogram();
            latency[i] = h;
            serviceTime[i] = HistogramSpec.newHistogram();
        }
        return h;
    }

    Histogram errorCompletionOffsets() {
        if (errorCompletionOffsets == null) {
            errorCompletionOffsets = HistogramSpec.newHistogram();
        }
        return errorCompletionOffsets;
    }

    Histogram serviceTime(OutcomeClass outcome) {
        latency(outcome);
        return serviceTime[outcome.getNumber()];
    }

    void countHeader(int slot, String value) {
        long[] count = headerValues[slot].get(value);
        if (count == null) {
            headerValues[slot].put(value, new long[] {1});
        } else {
            count[0]++;
        }
    }

    /** Clears the bucket for reuse under a new index; keeps the allocated histograms. */
    void reset(long newIndex) {
        for (int i = 0; i < latency.length; i++) {
            if (latency[i] != null) {
                latency[i].reset();
                serviceTime[i].reset();
            }
        }
        schedulerLag.reset();
        for (Histogram phase : phases) {
            if (phase != null) {
                phase.reset();
            }
        }
        if (errorCompletionOffsets != null) {
            errorCompletionOffsets.reset();
        }
        instanceFirstResponses.clear();
        firstSendNanos = Long.MAX_VALUE;
        firstSuccessNanos = Long.MAX_VALUE;
        for (HashMap<String, long[]> values : headerValues) {
            values.clear();
        }
        index = newIndex;
        intended = 0;
        sent = 0;
        completed = 0;
        lateSends = 0;
        capHits = 0;
        unsent = 0;
        unsentConnectionWait = 0;
        unsentConnectFailed = 0;
        connectionWaits = 0;
        connectionEvents = 0;
    }
}
