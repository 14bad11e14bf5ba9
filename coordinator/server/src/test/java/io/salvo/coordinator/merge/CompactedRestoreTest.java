package io.salvo.coordinator.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * An interval restored from its compacted form ({@link IntervalMerger#restoreCompacted}) is the interval it was:
 * the same merged data, its workers counted as reported, and a late report merged on top exactly as into the
 * original.
 */
class CompactedRestoreTest {

    private static final long SECOND = 1_000_000_000L;

    private static ByteString histogram(long... values) {
        Histogram h = HistogramSpec.newHistogram();
        for (long v : values) {
            h.recordValue(v);
        }
        return HistogramCodec.encode(h);
    }

    /** A report with every field the merger carries set. */
    private static IntervalReport rich(String worker, long index, long base) {
        return IntervalReport.newBuilder()
                .setRunId("r")
                .setWorkerId(worker)
                .setEpoch(1)
                .setIntervalIndex(index)
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                        .setLatencyMicros(histogram(base, base + 10, base + 500))
                        .setServiceTimeMicros(histogram(base / 2, base)))
                .addOutcomes(OutcomeHistograms.newBuilder()
                        .setOutcome(OutcomeClass.OUTCOME_CLASS_5XX)
                        .setLatencyMicros(histogram(base * 3))
                        .setServiceTimeMicros(histogram(base * 2)))
                .setSchedulerLagMicros(histogram(5, 7))
                .setConnectionWaitMicros(histogram(100))
                .setTimeToFirstByteMicros(histogram(base - 1))
                .setConnectMicros(histogram(300))
                .setTlsHandshakeMicros(histogram(900))
                .setErrorCompletionOffsetMicros(histogram(123_456 + base))
                .setSent(4)
                .setCompleted(4)
                .setLateSends(1)
                .setInFlightCapHits(2)
                .setUnsent(3)
                .setIntended(7)
                .setConnectionWaits(1)
                .setUnsentConnectionWait(1)
                .setUnsentConnectFailed(2)
                .setFirstSendOffsetMicros(base)
                .setFirstSuccessOffsetMicros(base + 5)
                .addInstanceFirstResponses(InstanceFirstResponse.newBuilder().setInstanceId("i-" + worker))
                .addCapturedHeaders(CapturedHeader.newBuilder()
                        .setName("x-instance")
                        .addValues(HeaderValueCount.newBuilder()
                                .setValue("i-" + worker)
                                .setCount(3)))
                .build();
    }

    private static IntervalMerger merger() {
        IntervalMerger m = new IntervalMerger(0, SECOND, SECOND, 100);
        m.addWorker("a");
        m.addWorker("b");
        m.addWorker("c");
        return m;
    }

    @Test
    void aRestoredIntervalIsTheIntervalItWasAndTakesLateReportsExactly() throws Exception {
        IntervalMerger original = merger();
        original.mergeIfNew(IntervalMerger.decode(rich("a", 4, 1_000)));
        original.mergeIfNew(IntervalMerger.decode(rich("b", 4, 2_000)));
        MergedInterval compacted = original.mergedInterval(4);

        IntervalMerger restored = merger();
        restored.restoreCompacted(compacted);
        assertThat(restored.mergedInterval(4)).isEqualTo(compacted);
        assertThat(restored.hasReported("a", 4)).isTrue();
        assertThat(restored.hasReported("b", 4)).isTrue();
        assertThat(restored.hasReported("c", 4)).isFalse();
        assertThat(restored.highestReportedBy("a")).isEqualTo(4);
        assertThat(restored.mergeIfNew(IntervalMerger.decode(rich("a", 4, 1_000))))
                .isEqualTo(IntervalMerger.Merged.ALREADY_MERGED);

        // A late report: the same on both sides, bucket by bucket and field by field.
        original.mergeIfNew(IntervalMerger.decode(rich("c", 4, 3_000)));
        restored.mergeIfNew(IntervalMerger.decode(rich("c", 4, 3_000)));
        assertThat(restored.mergedInterval(4)).isEqualTo(original.mergedInterval(4));
    }

    private static IntervalMerger regionMerger() {
        IntervalMerger m = new IntervalMerger(0, SECOND, SECOND, 100, java.util.List.of("east", "west"));
        m.addWorker("a", "east");
        m.addWorker("b", "east");
        m.addWorker("c", "west");
        return m;
    }

    @Test
    void aRestoredIntervalKeepsItsRegionsMergesAndTakesLateReportsIntoThemExactly() throws Exception {
        IntervalMerger original = regionMerger();
        original.mergeIfNew(IntervalMerger.decode(rich("a", 4, 1_000)));
        original.mergeIfNew(IntervalMerger.decode(rich("c", 4, 3_000)));
        MergedInterval compacted = original.mergedInterval(4);
        assertThat(compacted.getRegionsList())
                .extracting(MergedInterval::getRegion)
                .containsExactly("east", "west");

        IntervalMerger restored = regionMerger();
        restored.restoreCompacted(compacted);
        assertThat(restored.mergedInterval(4)).isEqualTo(compacted);

        original.mergeIfNew(IntervalMerger.decode(rich("b", 4, 2_000)));
        restored.mergeIfNew(IntervalMerger.decode(rich("b", 4, 2_000)));
        assertThat(restored.mergedInterval(4)).isEqualTo(original.mergedInterval(4));
        assertThat(restored.mergedInterval(4).getRegions(0).getSent()).isEqualTo(8);
    }

    @Test
    void anIntervalWithDataAlreadyIsNotOverwritten() throws Exception {
        IntervalMerger m = merger();
        m.mergeIfNew(IntervalMerger.decode(rich("a", 1, 1_000)));
        assertThatThrownBy(() -> m.restoreCompacted(m.mergedInterval(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyMergedIntervalFieldIsCarriedByTheCompactedForm() {
        // IntervalState.fromMerged restores each of these; a new MergedInterval field must be added there (and to
        // rich() above), or a takeover would lose it for compacted intervals.
        assertThat(MergedInterval.getDescriptor().getFields())
                .extracting(f -> f.getName())
                .containsExactlyInAnyOrder(
                        "interval_index",
                        "outcomes",
                        "scheduler_lag_micros",
                        "sent",
                        "completed",
                        "late_sends",
                        "in_flight_cap_hits",
                        "unsent",
                        "intended",
                        "captured_headers",
                        "worker_ids",
                        "had_late_reports",
                        "first_send_offset_micros",
                        "first_success_offset_micros",
                        "error_completion_offset_micros",
                        "instance_first_responses",
                        "error_completion_offsets_complete",
                        "connection_wait_micros",
                        "connection_waits",
                        "time_to_first_byte_micros",
                        "connect_micros",
                        "tls_handshake_micros",
                        "unsent_connection_wait",
                        "unsent_connect_failed",
                        "region",
                        "regions",
                        "workers_reported",
                        "reported_by");
    }
}
