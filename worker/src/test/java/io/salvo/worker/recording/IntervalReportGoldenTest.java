package io.salvo.worker.recording;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.TextFormat;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.HeaderValueCount;
import io.salvo.proto.v1.InstanceFirstResponse;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.testkit.Golden;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.zip.Deflater;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * Pins one {@code IntervalReport} as a worker puts it on the wire (protocol version 1): today's recorder must
 * produce the committed bytes for a fixed sequence of events, and the coordinator's readers (protobuf parsing
 * and the bounded histogram decoder) must read the golden as those events. A renumbered or retyped field fails
 * here; such a change needs protocol version 2 and an interval-report-v2.bin.
 */
class IntervalReportGoldenTest {

    /**
     * The report as a worker without request phases wrote it (fields 1-23): still read, with the phase fields
     * absent.
     */
    private static final String GOLDEN_BEFORE_PHASES =
            "interval-report-v" + ProtocolVersion.PROTOCOL_VERSION_1.getNumber() + ".bin";
    /** Today's report: fields 24-30 (request phases) were added within protocol version 1. */
    private static final String GOLDEN =
            "interval-report-v" + ProtocolVersion.PROTOCOL_VERSION_1.getNumber() + "-phases.bin";

    private static final long MS = 1_000_000L;
    /** Interval 0 on the recorder's nanoTime clock; any fixed value will do. */
    private static final long START = 7_000_000 * MS;

    @Test
    void todaysRecorderProducesTheGoldenBytes() {
        Golden.assertMatches(GOLDEN, recordedReport().toByteArray(), IntervalReportGoldenTest::differences);
    }

    @Test
    void theCoordinatorsReadersReadTheGoldenAsTheRecordedEvents() throws Exception {
        IntervalReport golden = IntervalReport.parseFrom(Golden.read(GOLDEN_BEFORE_PHASES));
        assertThat(golden.getConnectionWaitMicros()).isEmpty();
        assertThat(golden.getTimeToFirstByteMicros()).isEmpty();
        assertThat(golden.getConnectMicros()).isEmpty();
        assertThat(golden.getTlsHandshakeMicros()).isEmpty();
        assertThat(golden.getConnectionWaits() + golden.getUnsentConnectionWait() + golden.getUnsentConnectFailed())
                .isZero();

        assertThat(golden)
                .extracting(
                        IntervalReport::getRunId,
                        IntervalReport::getWorkerId,
                        IntervalReport::getEpoch,
                        IntervalReport::getIntervalIndex,
                        IntervalReport::getIntended,
                        IntervalReport::getSent,
                        IntervalReport::getCompleted,
                        IntervalReport::getLateSends,
                        IntervalReport::getInFlightCapHits,
                        IntervalReport::getUnsent,
                        IntervalReport::getInFlightAtEnd,
                        IntervalReport::getFirstSendOffsetMicros,
                        IntervalReport::getFirstSuccessOffsetMicros)
                .as("run, worker, epoch, interval, intended, sent, completed, late, cap hits, unsent, in flight,"
                        + " first send, first success")
                .containsExactly("run-golden", "w-eu-1", 2L, 3L, 7L, 7L, 8L, 2L, 1L, 1L, 1L, 3_000_200L, 3_010_000L);
        assertThat(golden.getInstanceFirstResponsesList())
                .containsExactly(
                        InstanceFirstResponse.newBuilder()
                                .setInstanceId("pod-a")
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                                .setLatencyMicros(110_000)
                                .setCompletedOffsetMicros(3_010_000)
                                .setModelLoadMillis(750)
                                .build(),
                        InstanceFirstResponse.newBuilder()
                                .setInstanceId("pod-b")
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                                .setLatencyMicros(50_000)
                                .setCompletedOffsetMicros(3_150_000)
                                .build());
        assertThat(golden.getCapturedHeadersList())
                .containsExactly(
                        header("Salvo-Instance-Id", "pod-a", 3, "pod-b", 2), header("X-Model-Version", "v7", 4));

        assertThat(golden.getOutcomesList())
                .extracting(OutcomeHistograms::getOutcome)
                .containsExactly(
                        OutcomeClass.OUTCOME_CLASS_2XX,
                        OutcomeClass.OUTCOME_CLASS_4XX,
                        OutcomeClass.OUTCOME_CLASS_5XX,
                        OutcomeClass.OUTCOME_CLASS_TIMEOUT,
                        OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR);
        long[][][] expected = {
            {{110_000, 12_000, 50_000}, {109_600, 11_800, 47_500}},
            {{30_000}, {29_900}},
            {{120_000}, {119_700}},
            {{1_000_000, 390_000}, {290_000}}, // the abandoned request has no service time
            {{1_000}, {800}},
        };
        for (int i = 0; i < expected.length; i++) {
            OutcomeHistograms outcome = golden.getOutcomes(i);
            assertThat(decoded(outcome.getLatencyMicros()))
                    .as("%s latency", outcome.getOutcome())
                    .isEqualTo(histogram(expected[i][0]));
            assertThat(decoded(outcome.getServiceTimeMicros()))
                    .as("%s service time", outcome.getOutcome())
                    .isEqualTo(histogram(expected[i][1]));
        }
        assertThat(decoded(golden.getSchedulerLagMicros()))
                .isEqualTo(histogram(200, 2_500, 100, 300, 200, 100_000, 100));
        assertThat(decoded(golden.getErrorCompletionOffsetMicros()))
                .isEqualTo(histogram(230_000, 401_000, 420_000, 950_000, 990_000));
        // The coordinator merges from the sparse decoding; it must accept every payload too.
        assertThat(HistogramCodec.decodeSparse(golden.getOutcomes(0).getLatencyMicros())
                        .totalCount())
                .isEqualTo(3);
    }

    @Test
    void theRequestPhasesReadBackFromTheGolden() throws Exception {
        IntervalReport golden = IntervalReport.parseFrom(Golden.read(GOLDEN));

        assertThat(golden)
                .extracting(
                        IntervalReport::getSent,
                        IntervalReport::getUnsent,
                        IntervalReport::getUnsentConnectionWait,
                        IntervalReport::getUnsentConnectFailed,
                        IntervalReport::getConnectionWaits)
                .as("sent, unsent, of which waiting for a connection and connect failed, connection waits")
                .containsExactly(8L, 3L, 1L, 1L, 1L);
        // Seven requests took an idle connection at once, one waited 2 ms for its connection.
        assertThat(decoded(golden.getConnectionWaitMicros())).isEqualTo(histogram(0, 0, 0, 0, 0, 0, 0, 2_000));
        assertThat(decoded(golden.getTimeToFirstByteMicros())).isEqualTo(histogram(1_000));
        assertThat(decoded(golden.getConnectMicros())).isEqualTo(histogram(2_000));
        assertThat(decoded(golden.getTlsHandshakeMicros())).isEqualTo(histogram(5_000));
        assertThat(decoded(golden.getOutcomes(0).getServiceTimeMicros()))
                .as("2xx service time runs from the write")
                .isEqualTo(histogram(109_600, 11_800, 47_500, 2_000));
        assertThat(decoded(golden.getOutcomes(3).getLatencyMicros()))
                .as("timeouts, the requests given up waiting for a slot or a connection included")
                .isEqualTo(histogram(1_000_000, 390_000, 1_000_000));
        assertThat(decoded(golden.getOutcomes(4).getLatencyMicros()))
                .as("connect errors, the one whose connection failed before it was written included")
                .isEqualTo(histogram(1_000, 1_000));
    }

    @Test
    void aGoldenDeflatedByAnotherZlibStillMatchesButOtherCountsDoNot() throws Exception {
        byte[] today = recordedReport().toByteArray();
        IntervalReport golden = IntervalReport.parseFrom(Golden.read(GOLDEN));
        byte[] otherZlib = withHistograms(
                        golden, p -> ByteString.copyFrom(Golden.deflatedAgain(p.toByteArray(), Deflater.BEST_SPEED)))
                .toByteArray();
        byte[] otherCounts = golden.toBuilder()
                .setSchedulerLagMicros(HistogramCodec.encode(histogram(200, 2_500)))
                .build()
                .toByteArray();

        assertThat(otherZlib).isNotEqualTo(Golden.read(GOLDEN));
        assertThat(differences(otherZlib, today)).isEmpty();
        assertThat(differences(otherCounts, today))
                .anySatisfy(d -> assertThat(d)
                        .startsWith("golden only")
                        .contains("scheduler_lag_micros")
                        .contains("histogram of 2:"));
    }

    /**
     * One worker's interval 3 (1 s intervals, late after 1 ms, two captured headers), recorded on a fixed clock.
     * In interval 2 a request is sent that completes in interval 3 as pod-a's first response (model load 750 ms),
     * and another waits for the in-flight cap until it is abandoned in interval 3. In interval 3: a 2xx on pod-a,
     * pod-b's first response (sent 2.5 ms late), a 4xx, a 5xx without a model-version header, a connect error, a
     * request that waited for the cap, went out 100 ms late and timed out, and one still in flight at the end.
     */
    static IntervalReport recordedReport() {
        AtomicLong clock = new AtomicLong(START);
        IntervalRecorder recorder = new IntervalRecorder(
                START, 1_000 * MS, MS, List.of("Salvo-Instance-Id", "X-Model-Version"), clock::get);
        LaneRecorder lane = recorder.newLane();

        clock.set(at(2_900_000));
        lane.recordIntended();
        clock.set(at(2_900_400));
        long firstSent = lane.recordSend(at(2_900_000));
        clock.set(at(2_950_000));
        lane.recordIntended();
        lane.recordCapHit();
        recorder.harvest(2);

        clock.set(at(3_000_000));
        lane.recordIntended();
        clock.set(at(3_000_200));
        long sent1 = lane.recordSend(at(3_000_000));
        clock.set(at(3_010_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_2XX,
                at(2_900_000),
                firstSent,
                new String[] {"pod-a", "v7"},
                "pod-a",
                1,
                750);
        clock.set(at(3_012_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_2XX, at(3_000_000), sent1, new String[] {"pod-a", "v7"}, "pod-a", 2, 750);
        clock.set(at(3_100_000));
        lane.recordIntended();
        clock.set(at(3_102_500));
        long sent2 = lane.recordSend(at(3_100_000));
        clock.set(at(3_150_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_2XX, at(3_100_000), sent2, new String[] {"pod-b", "v7"}, "pod-b", 1, -1);
        clock.set(at(3_200_000));
        lane.recordIntended();
        clock.set(at(3_200_100));
        long sent3 = lane.recordSend(at(3_200_000));
        clock.set(at(3_230_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_4XX, at(3_200_000), sent3, new String[] {"pod-b", "v7"}, "pod-b", 5, -1);
        clock.set(at(3_300_000));
        lane.recordIntended();
        clock.set(at(3_300_300));
        long sent4 = lane.recordSend(at(3_300_000));
        clock.set(at(3_400_000));
        lane.recordIntended();
        clock.set(at(3_400_200));
        long sent5 = lane.recordSend(at(3_400_000));
        clock.set(at(3_401_000));
        lane.recordCompletion(OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR, at(3_400_000), sent5, null, null, -1, -1);
        clock.set(at(3_420_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_5XX, at(3_300_000), sent4, new String[] {"pod-a", null}, "pod-a", 3, 750);
        clock.set(at(3_600_000));
        lane.recordIntended();
        lane.recordCapHit();
        clock.set(at(3_700_000));
        long sent7 = lane.recordSend(at(3_600_000));
        clock.set(at(3_900_000));
        lane.recordIntended();
        clock.set(at(3_900_100));
        lane.recordSend(at(3_900_000));
        clock.set(at(3_950_000));
        lane.recordAbandoned(at(2_950_000));
        clock.set(at(3_990_000));
        lane.recordCompletion(OutcomeClass.OUTCOME_CLASS_TIMEOUT, at(3_600_000), sent7, null, null, -1, -1);
        // Request phases: one request dispatched 0.5 ms late finds no idle connection; a new one connects in
        // 2 ms, handshakes in 5 ms, and the request is written 2 ms after its dispatch, answered from 1 ms on.
        clock.set(at(3_991_000));
        lane.recordIntended();
        long dispatched = lane.recordDispatch(at(3_990_500));
        lane.recordConnect(2_000_000);
        lane.recordTlsHandshake(5_000_000);
        clock.set(at(3_993_000));
        long written = lane.recordWrite(dispatched, true);
        clock.set(at(3_995_000));
        lane.recordCompletion(
                OutcomeClass.OUTCOME_CLASS_2XX, at(3_990_500), written, at(3_994_000), null, null, -1, -1);
        // One request gave up waiting for a connection, another's connection failed: neither was written.
        clock.set(at(3_996_000));
        lane.recordUnsent(LaneRecorder.Unsent.CONNECTION_WAIT, at(2_996_000));
        clock.set(at(3_997_000));
        lane.recordUnsent(LaneRecorder.Unsent.CONNECT_FAILED, at(3_996_000));

        // What RunSession.harvest adds before the report goes on the wire.
        return recorder.harvest(3).toBuilder()
                .setRunId("run-golden")
                .setWorkerId("w-eu-1")
                .setEpoch(2)
                .build();
    }

    /**
     * Byte for byte, except inside deflate streams: a histogram payload may differ only when it holds the same
     * counts and this machine's zlib (at HdrHistogram's default level) would not reproduce the golden's payload.
     * Differences are listed field by field, histograms described by their decoded values.
     */
    static List<String> differences(byte[] golden, byte[] actual) throws Exception {
        if (Arrays.equals(golden, actual)) {
            return List.of();
        }
        IntervalReport goldenReport = IntervalReport.parseFrom(golden);
        IntervalReport actualReport = IntervalReport.parseFrom(actual);
        byte[] goldenCanonical = withHistograms(
                        goldenReport, b -> ByteString.copyFrom(Golden.inflatedHistogram(b.toByteArray())))
                .toByteArray();
        byte[] actualCanonical = withHistograms(
                        actualReport, b -> ByteString.copyFrom(Golden.inflatedHistogram(b.toByteArray())))
                .toByteArray();
        List<String> out = new ArrayList<>();
        if (Arrays.equals(goldenCanonical, actualCanonical)) {
            List<ByteString> goldenPayloads = payloads(goldenReport);
            List<ByteString> actualPayloads = payloads(actualReport);
            for (int i = 0; i < goldenPayloads.size(); i++) {
                byte[] payload = goldenPayloads.get(i).toByteArray();
                if (!goldenPayloads.get(i).equals(actualPayloads.get(i))
                        && Golden.deflatesLikeThisMachine(payload, Deflater.DEFAULT_COMPRESSION)) {
                    out.add("histogram payload " + i + " holds the same counts but is deflated differently, although"
                            + " this machine's zlib reproduces the golden's payload: the writer's compression changed");
                }
            }
            return out;
        }
        String goldenText =
                TextFormat.printer().printToString(withHistograms(goldenReport, IntervalReportGoldenTest::described));
        String actualText =
                TextFormat.printer().printToString(withHistograms(actualReport, IntervalReportGoldenTest::described));
        out.addAll(Golden.lineDifferences(goldenText, actualText));
        out.addAll(Golden.byteDifferences(goldenCanonical, actualCanonical).stream()
                .map(d -> "with histograms inflated, " + d)
                .toList());
        return out;
    }

    /** Every non-empty histogram payload, in field order. */
    private static List<ByteString> payloads(IntervalReport report) {
        List<ByteString> payloads = new ArrayList<>();
        withHistograms(report, p -> {
            payloads.add(p);
            return p;
        });
        return payloads;
    }

    /** The report with every histogram payload replaced. */
    private static IntervalReport withHistograms(IntervalReport report, UnaryOperator<ByteString> replace) {
        IntervalReport.Builder b = report.toBuilder();
        for (int i = 0; i < b.getOutcomesCount(); i++) {
            OutcomeHistograms o = b.getOutcomes(i);
            b.setOutcomes(
                    i,
                    o.toBuilder()
                            .setLatencyMicros(replaceNonEmpty(o.getLatencyMicros(), replace))
                            .setServiceTimeMicros(replaceNonEmpty(o.getServiceTimeMicros(), replace)));
        }
        return b.setSchedulerLagMicros(replaceNonEmpty(b.getSchedulerLagMicros(), replace))
                .setErrorCompletionOffsetMicros(replaceNonEmpty(b.getErrorCompletionOffsetMicros(), replace))
                .setConnectionWaitMicros(replaceNonEmpty(b.getConnectionWaitMicros(), replace))
                .setTimeToFirstByteMicros(replaceNonEmpty(b.getTimeToFirstByteMicros(), replace))
                .setConnectMicros(replaceNonEmpty(b.getConnectMicros(), replace))
                .setTlsHandshakeMicros(replaceNonEmpty(b.getTlsHandshakeMicros(), replace))
                .build();
    }

    private static ByteString replaceNonEmpty(ByteString payload, UnaryOperator<ByteString> replace) {
        return payload.isEmpty() ? payload : replace.apply(payload);
    }

    private static ByteString described(ByteString payload) {
        try {
            Histogram h = HistogramCodec.decode(payload.toByteArray());
            StringBuilder s = new StringBuilder("histogram of " + h.getTotalCount() + ":");
            h.recordedValues()
                    .forEach(v -> s.append(' ')
                            .append(v.getValueIteratedTo())
                            .append('x')
                            .append(v.getCountAtValueIteratedTo()));
            return ByteString.copyFromUtf8(s.toString());
        } catch (CorruptHistogramException e) {
            return ByteString.copyFromUtf8("undecodable histogram: " + e.getMessage());
        }
    }

    private static long at(long micros) {
        return START + micros * 1_000;
    }

    private static Histogram decoded(ByteString payload) throws CorruptHistogramException {
        return HistogramCodec.decode(payload.toByteArray());
    }

    private static Histogram histogram(long... micros) {
        Histogram h = HistogramSpec.newHistogram();
        for (long v : micros) {
            h.recordValue(v);
        }
        return h;
    }

    private static CapturedHeader header(String name, Object... valuesAndCounts) {
        CapturedHeader.Builder header = CapturedHeader.newBuilder().setName(name);
        for (int i = 0; i < valuesAndCounts.length; i += 2) {
            header.addValues(HeaderValueCount.newBuilder()
                    .setValue((String) valuesAndCounts[i])
                    .setCount(((Number) valuesAndCounts[i + 1]).longValue()));
        }
        return header.build();
    }
}
