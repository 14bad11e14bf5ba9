package io.salvo.worker.recording;

import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.OutcomeClass;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * The recording side of one lane (one event-loop thread). Every method reads the clock inside a
 * {@link WriterReaderPhaser} writer critical section and files the event under the interval that
 * contains that instant, so membership is decided by time, not by when the reader happens to swap.
 *
 * <h2>Assumptions and guarantees</h2>
 * <ul>
 *   <li>Single writer: all {@code record*} methods of one instance are called from one thread at a
 *       time (the lane's event loop). Different lanes record concurrently without contention.</li>
 *   <li>Writers never wait: the critical section is two atomic increments; the reader alone waits
 *       (in {@link WriterReaderPhaser#flipPhase()}) for writers already inside.</li>
 *   <li>Exactness: every event lands in exactly one harvested interval. The reader retires a
 *       bucket by CAS and flips the phaser before reading it, so no writer still holds it; a
 *       writer that moves on to a new interval retires its old bucket by CAS into a queue the
 *       reader drains after the same flip.</li>
 *   <li>Units: timestamps are {@link System#nanoTime()}-based nanoseconds; histograms hold
 *       microseconds.</li>
 * </ul>
 */
public final class LaneRecorder {

    private final IntervalRecorder owner;
    private final LongSupplier clock;
    final WriterReaderPhaser phaser = new WriterReaderPhaser();
    final AtomicReference<IntervalBucket> active;
    /** Buckets the writer retired (moved past their interval); drained by the reader. */
    final ConcurrentLinkedQueue<IntervalBucket> retired = new ConcurrentLinkedQueue<>();
    /** Writer-only cache of empty buckets. */
    private final ArrayDeque<IntervalBucket> spare = new ArrayDeque<>();

    LaneRecorder(IntervalRecorder owner, LongSupplier clock) {
        this.owner = owner;
        this.clock = clock;
        this.active = new AtomicReference<>(owner.newBucket(0));
    }

    /** Counts one intended send (due now). Returns the timestamp used. */
    public long recordIntended() {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            bucketAt(now).intended++;
            return now;
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /** Counts an intended send that found the in-flight cap reached and has to wait. */
    public void recordCapHit() {
        long token = phaser.writerCriticalSectionEnter();
        try {
            bucketAt(clock.getAsLong()).capHits++;
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /** Why a request was never written to a connection. */
    public enum Unsent {
        /** It waited for a free in-flight slot longer than the request timeout (recorded as a timeout). */
        IN_FLIGHT_CAP,
        /** It waited in the connection pool longer than the request timeout (recorded as a timeout). */
        CONNECTION_WAIT,
        /** The connection made for it could not be established (recorded as a connect error). */
        CONNECT_FAILED
    }

    /** The first-byte instant passed for a completion without any response byte. */
    public static final long NO_FIRST_BYTE = Long.MIN_VALUE;

    /**
     * Records the dispatch of a request intended at {@code intendedNanos} (the lane hands it to its
     * connection pool): records the scheduler lag and counts a late send when the lag exceeds the
     * threshold. It is counted as sent only once {@link #recordWrite written}.
     *
     * @return the dispatch timestamp (nanoTime), to be passed to {@link #recordWrite}
     */
    public long recordDispatch(long intendedNanos) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            IntervalBucket bucket = bucketAt(now);
            long lagNanos = now - intendedNanos;
            bucket.schedulerLag.recordValue(HistogramSpec.toRecordableMicros(lagNanos));
            if (lagNanos > owner.lateSendThresholdNanos) {
                bucket.lateSends++;
            }
            return now;
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /**
     * Records the write of a dispatched request to a connection, the instant it reaches the wire: counts
     * it as sent and records its connection wait (write − dispatch); {@code waited} counts it among the
     * requests that found no idle connection.
     *
     * @return the write timestamp (nanoTime), where service time and time to first byte start
     */
    public long recordWrite(long dispatchedNanos, boolean waited) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            IntervalBucket bucket = bucketAt(now);
            bucket.sent++;
            bucket.firstSendNanos = Math.min(bucket.firstSendNanos, now);
            bucket.phase(IntervalBucket.PHASE_CONNECTION_WAIT)
                    .recordValue(HistogramSpec.toRecordableMicros(now - dispatchedNanos));
            if (waited) {
                bucket.connectionWaits++;
            }
            return now;
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /**
     * A dispatch and a write at the same instant (an idle connection took the request at once): both
     * of {@link #recordDispatch} and {@link #recordWrite}, with one clock reading.
     *
     * @return the send timestamp (nanoTime), to be passed back at completion
     */
    public long recordSend(long intendedNanos) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            IntervalBucket bucket = bucketAt(now);
            long lagNanos = now - intendedNanos;
            bucket.sent++;
            bucket.firstSendNanos = Math.min(bucket.firstSendNanos, now);
            bucket.schedulerLag.recordValue(HistogramSpec.toRecordableMicros(lagNanos));
            bucket.phase(IntervalBucket.PHASE_CONNECTION_WAIT).recordValue(0);
            if (lagNanos > owner.lateSendThresholdNanos) {
                bucket.lateSends++;
            }
            return now;
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /** A new connection's TCP connect took {@code nanos}. */
    public void recordConnect(long nanos) {
        recordConnectionPhase(IntervalBucket.PHASE_CONNECT, nanos);
    }

    /** A new connection's TLS handshake took {@code nanos}. */
    public void recordTlsHandshake(long nanos) {
        recordConnectionPhase(IntervalBucket.PHASE_TLS_HANDSHAKE, nanos);
    }

    private void recordConnectionPhase(int phase, long nanos) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            IntervalBucket bucket = bucketAt(clock.getAsLong());
            bucket.connectionEvents++;
            bucket.phase(phase).recordValue(HistogramSpec.toRecordableMicros(nanos));
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /**
     * Records the completion of a written request: latency from the intended time, service time from
     * the write. {@code headerValues} holds the captured response headers by the position of their
     * names in the plan (null entries and a null array are skipped); it is not retained.
     */
    public void recordCompletion(OutcomeClass outcome, long intendedNanos, long writtenNanos, String[] headerValues) {
        recordCompletion(outcome, intendedNanos, writtenNanos, NO_FIRST_BYTE, headerValues, null, -1, -1);
    }

    /** As the full form, without a first-byte instant. */
    public void recordCompletion(
            OutcomeClass outcome,
            long intendedNanos,
            long writtenNanos,
            String[] headerValues,
            String instanceId,
            long instanceRequestSeq,
            long modelLoadMillis) {
        recordCompletion(
                outcome,
                intendedNanos,
                writtenNanos,
                NO_FIRST_BYTE,
                headerValues,
                instanceId,
                instanceRequestSeq,
                modelLoadMillis);
    }

    /**
     * As {@link #recordCompletion(OutcomeClass, long, long, String[])}, plus the time to first byte and
     * the instance headers the detectors need: the response of an instance's first request
     * ({@code instanceRequestSeq == 1}) is kept with its latency, completion instant and model-load time.
     *
     * @param firstByteNanos     when the first response byte was read, or {@link #NO_FIRST_BYTE}
     * @param instanceId         value of Salvo-Instance-Id, or null (no response, or no such header)
     * @param instanceRequestSeq value of Salvo-Instance-Request-Seq, or -1 when absent
     * @param modelLoadMillis    value of Salvo-Model-Load-Ms, or -1 when absent or still loading
     */
    public void recordCompletion(
            OutcomeClass outcome,
            long intendedNanos,
            long writtenNanos,
            long firstByteNanos,
            String[] headerValues,
            String instanceId,
            long instanceRequestSeq,
            long modelLoadMillis) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            IntervalBucket bucket = bucketAt(now);
            bucket.completed++;
            long latencyMicros = HistogramSpec.toRecordableMicros(now - intendedNanos);
            bucket.latency(outcome).recordValue(latencyMicros);
            bucket.serviceTime(outcome).recordValue(HistogramSpec.toRecordableMicros(now - writtenNanos));
            if (firstByteNanos != NO_FIRST_BYTE) {
                bucket.phase(IntervalBucket.PHASE_TIME_TO_FIRST_BYTE)
                        .recordValue(HistogramSpec.toRecordableMicros(firstByteNanos - writtenNanos));
            }
            if (outcome == OutcomeClass.OUTCOME_CLASS_2XX) {
                bucket.firstSuccessNanos = Math.min(bucket.firstSuccessNanos, now);
            } else {
                recordErrorInstant(bucket, now);
            }
            if (instanceRequestSeq == 1 && instanceId != null) {
                InstanceFirstResponse.Builder first = InstanceFirstResponse.newBuilder()
                        .setInstanceId(instanceId)
                        .setOutcome(outcome)
                        .setLatencyMicros(latencyMicros)
                        .setCompletedOffsetMicros(owner.offsetMicros(now));
                if (modelLoadMillis >= 0) {
                    first.setModelLoadMillis(modelLoadMillis);
                }
                bucket.instanceFirstResponses.add(first.build());
            }
            if (headerValues != null) {
                for (int i = 0; i < headerValues.length && i < bucket.headerValues.length; i++) {
                    if (headerValues[i] != null) {
                        bucket.countHeader(i, headerValues[i]);
                    }
                }
            }
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /** Files an error completion instant relative to its interval's start (clamped at 0 before the run). */
    private void recordErrorInstant(IntervalBucket bucket, long nowNanos) {
        long intervalStart = owner.startNanos() + bucket.index * owner.intervalNanos();
        bucket.errorCompletionOffsets()
                .recordValue(Math.min(HistogramSpec.HIGHEST_MICROS, Math.max(0, (nowNanos - intervalStart) / 1000)));
    }

    /**
     * Records a request abandoned unsent in the backlog (it waited for an in-flight slot longer than the
     * request timeout): see {@link #recordUnsent}.
     */
    public void recordAbandoned(long intendedNanos) {
        recordUnsent(Unsent.IN_FLIGHT_CAP, intendedNanos);
    }

    /**
     * Records a request given up before it was ever written: counted as unsent (with its reason) and as a
     * completion, a timeout when it waited too long, a connect error when its connection failed, whose
     * latency runs from the intended time to now. No service time exists for it.
     */
    public void recordUnsent(Unsent reason, long intendedNanos) {
        long token = phaser.writerCriticalSectionEnter();
        try {
            long now = clock.getAsLong();
            IntervalBucket bucket = bucketAt(now);
            bucket.unsent++;
            bucket.completed++;
            OutcomeClass outcome = OutcomeClass.OUTCOME_CLASS_TIMEOUT;
            if (reason == Unsent.CONNECTION_WAIT) {
                bucket.unsentConnectionWait++;
            } else if (reason == Unsent.CONNECT_FAILED) {
                bucket.unsentConnectFailed++;
                outcome = OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR;
            }
            recordErrorInstant(bucket, now);
            bucket.latency(outcome).recordValue(HistogramSpec.toRecordableMicros(now - intendedNanos));
        } finally {
            phaser.writerCriticalSectionExit(token);
        }
    }

    /** Must be called inside the writer critical section. */
    private IntervalBucket bucketAt(long nowNanos) {
        long index = owner.intervalIndexAt(nowNanos);
        while (true) {
            IntervalBucket current = active.get();
            if (current.index == index) {
                return current;
            }
            IntervalBucket next = takeSpare(index);
            if (active.compareAndSet(current, next)) {
                // The bucket is ours alone now: the reader only takes buckets by CAS on `active`.
                if (current.isEmpty()) {
                    current.reset(0);
                    spare.push(current);
                } else {
                    retired.add(current);
                }
                return next;
            }
            // The reader swapped in a fresh bucket meanwhile; keep ours for later and retry.
            spare.push(next);
        }
    }

    private IntervalBucket takeSpare(long index) {
        IntervalBucket bucket = spare.poll();
        if (bucket == null) {
            bucket = owner.recycled.poll();
        }
        if (bucket == null) {
            return owner.newBucket(index);
        }
        bucket.index = index;
        return bucket;
    }
}
