package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import io.salvo.coordinator.cluster.RunRecord.WorkerRecord;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.CoordinatorTakeover;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.Reslice;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.SteadyStateRule;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.testkit.Golden;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Pins the run record of {@code salvo.runs} (StateCodec format 1) byte for byte: a coordinator of this version
 * must write what one of the previous version reads after a takeover, and read what it wrote. A changed field
 * order, width or encoding fails here; such a change needs StateCodec format 2 and a run-record-v2.bin.
 */
class RunRecordGoldenTest {

    private static final String GOLDEN = "run-record-v" + StateCodec.FORMAT_VERSION + ".bin";

    /**
     * A run 4.2 s in, led by coord-b since it took over from coord-a: epoch 3 after w-us-1 was lost and the
     * takeover re-sliced, a stop requested, two notes, two workers (one lost), every plan field set. Written
     * out here rather than built from shared fixtures, so only a change of the codec changes its bytes.
     */
    static RunRecord fixedRecord() {
        long start = 1_800_000_000_000_000_000L;
        RunPlan plan = RunPlan.newBuilder()
                .setName("golden-record")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("https://model.example/v2/models/minilm/infer")
                        .setMethod("POST")
                        .addHeaders(Header.newBuilder().setName("Content-Type").setValue("application/json"))
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"hello\"]}"))
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"world\"]}"))
                        .setTrustedCaCertificatesPem(ByteString.copyFromUtf8(
                                "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n")))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(2_000)
                        .setStartRatePerSecond(50)
                        .setEndRatePerSecond(100))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(4_000)
                        .setStartRatePerSecond(100)
                        .setEndRatePerSecond(200)
                        .setSteps(4))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_POISSON)
                .setWorkerCount(2)
                .setIntervalMillis(1_000)
                .setRequestTimeoutMillis(1_500)
                .setConnectTimeoutMillis(500)
                .setMaxInFlightPerWorker(64)
                .setMaxConnectionsPerWorker(16)
                .setLateSendThresholdMicros(1_000)
                .addCaptureResponseHeaders("Salvo-Instance-Id")
                .setSeed(42)
                .setSource("plans/golden.yaml")
                .setSteadyState(SteadyStateRule.newBuilder()
                        .setWindowIntervals(3)
                        .setMinSuccessRateRatio(0.9)
                        .setMaxErrorRatio(0.01)
                        .setMaxP95Spread(1.2))
                .build();
        WorkerRecord europe = new WorkerRecord(
                "w-eu-1",
                WorkerHello.newBuilder()
                        .setWorkerId("w-eu-1")
                        .setRegion("eu-west-1")
                        .setCores(4)
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setWeight(2)
                        .setSentAtUnixNanos(start - 5_000_000_000L)
                        .build(),
                Slice.newBuilder()
                        .setSegmentStart(0)
                        .setSegmentEnd(1)
                        .setTotalWeight(1)
                        .setSeed(7)
                        .setStride(1)
                        .build(),
                1_250_000,
                310_000,
                false,
                false);
        WorkerRecord america = new WorkerRecord(
                "w-us-1",
                WorkerHello.newBuilder()
                        .setWorkerId("w-us-1")
                        .setRegion("us-east-1")
                        .setCores(2)
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setWeight(1)
                        .setSentAtUnixNanos(start - 4_000_000_000L)
                        .build(),
                Slice.newBuilder()
                        .setSegmentStart(2)
                        .setSegmentEnd(3)
                        .setTotalWeight(3)
                        .setSeed(8)
                        .setStride(2)
                        .build(),
                -3_400_000,
                95_000_000,
                false,
                true);
        return new RunRecord(
                "run-golden-record",
                plan,
                42,
                start,
                1_500_000_000L,
                3_000_000_000L,
                3,
                RunState.RUN_STATE_RUNNING,
                0,
                start + 4_300_000_000L,
                "coord-b",
                List.of("worker w-us-1 lost: silent for 3.0 s", "taken over from coord-a"),
                List.of(
                        Reslice.newBuilder()
                                .setAtUnixNanos(start + 3_500_000_000L)
                                .setEpoch(2)
                                .setCause(ResliceCause.RESLICE_CAUSE_WORKER_LOST)
                                .setWorkerId("w-us-1")
                                .addWorkerIds("w-eu-1")
                                .setUncoveredIntendedRequests(16.5)
                                .build(),
                        Reslice.newBuilder()
                                .setAtUnixNanos(start + 4_200_000_000L)
                                .setEpoch(3)
                                .setCause(ResliceCause.RESLICE_CAUSE_TAKEOVER)
                                .addWorkerIds("w-eu-1")
                                .build()),
                List.of(CoordinatorTakeover.newBuilder()
                        .setAtUnixNanos(start + 4_200_000_000L)
                        .setFromCoordinatorId("coord-a")
                        .setToCoordinatorId("coord-b")
                        .setReportsRestored(9)
                        .build()),
                List.of(europe, america));
    }

    @Test
    void todaysEncoderProducesTheGoldenBytes() {
        Golden.assertMatches(GOLDEN, fixedRecord().encode(), RunRecordGoldenTest::differences);
    }

    @Test
    void todaysDecoderReadsTheGoldenAsTheFixedRecord() {
        RunRecord golden = RunRecord.decode(Golden.read(GOLDEN));

        assertThat(golden).isEqualTo(fixedRecord());
        assertThat(golden.epoch()).isEqualTo(3);
        assertThat(golden.workers()).extracting(WorkerRecord::lost).containsExactly(false, true);
        assertThat(golden.plan().getRequest().getBodiesCount()).isEqualTo(2);
    }

    /**
     * The leader's term is appended to a format-1 record only when there is one: the golden above is a record without
     * a term, byte for byte; with a term the record reads back with it, and its first bytes are the golden's (a
     * coordinator from before terms reads the record and ignores the tail).
     */
    @Test
    void aTermIsAppendedAndReadBackWithoutChangingRecordsWithoutOne() {
        RunRecord plain = fixedRecord();
        assertThat(plain.term()).isEqualTo(io.salvo.proto.v1.LeaderTerm.getDefaultInstance());
        io.salvo.proto.v1.LeaderTerm term = io.salvo.core.term.Terms.of(4, "member-b");
        RunRecord withTerm = new RunRecord(
                plain.runId(),
                plain.plan(),
                plain.seed(),
                plain.startUnixNanos(),
                plain.graceNanos(),
                plain.heartbeatTimeoutNanos(),
                plain.epoch(),
                plain.state(),
                plain.endUnixNanos(),
                plain.stopRequestedUnixNanos(),
                plain.leaderCoordinatorId(),
                plain.notes(),
                plain.reslices(),
                plain.takeovers(),
                plain.workers(),
                term);
        byte[] bytes = withTerm.encode();
        byte[] golden = Golden.read(GOLDEN);
        assertThat(java.util.Arrays.copyOf(bytes, golden.length)).isEqualTo(golden);
        assertThat(RunRecord.decode(bytes)).isEqualTo(withTerm);
    }

    /** Where the bytes first differ, and which of the record's fields today's decoder sees differ. */
    static List<String> differences(byte[] golden, byte[] actual) {
        List<String> out = new ArrayList<>(Golden.byteDifferences(golden, actual));
        if (out.isEmpty()) {
            return out;
        }
        RunRecord fromGolden;
        try {
            fromGolden = RunRecord.decode(golden);
        } catch (RuntimeException e) {
            out.add("today's decoder cannot read the golden: " + e.getMessage());
            return out;
        }
        RunRecord fromActual = RunRecord.decode(actual);
        for (RecordComponent component : RunRecord.class.getRecordComponents()) {
            Object g = value(component, fromGolden);
            Object a = value(component, fromActual);
            if (!Objects.equals(g, a)) {
                out.add("decoded " + component.getName() + ": golden " + describe(g) + ", actual " + describe(a));
            }
        }
        return out;
    }

    private static Object value(RecordComponent component, RunRecord record) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Object value) {
        String text = value instanceof MessageOrBuilder m
                ? "{" + TextFormat.printer().emittingSingleLine(true).printToString(m) + "}"
                : String.valueOf(value);
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
