package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** REPORT and SALVO_INSTANCE lines as CloudWatch Logs delivers them, and what a window of them adds up to. */
class ReportLineTest {

    @Test
    void readsAColdStartReportLineInItsRealFormat() {
        ReportLine line = ReportLine.parse(
                        "REPORT RequestId: 8f507cfc-xmpl-4697-b07a-ac58fc914c95\tDuration: 15.74 ms\tBilled Duration: 1149 ms"
                                + "\tMemory Size: 512 MB\tMax Memory Used: 156 MB\tInit Duration: 1133.21 ms\t\n")
                .orElseThrow();
        assertThat(line.requestId()).isEqualTo("8f507cfc-xmpl-4697-b07a-ac58fc914c95");
        assertThat(line.durationMs()).isEqualTo(15.74);
        assertThat(line.billedDurationMs()).isEqualTo(1149);
        assertThat(line.memorySizeMb()).isEqualTo(512);
        assertThat(line.maxMemoryUsedMb()).isEqualTo(156);
        assertThat(line.initDurationMs()).isEqualTo(1133.21);
        assertThat(line.restoreDurationMs()).isNull();
        assertThat(line.status()).isNull();
        assertThat(line.billedGbSeconds()).isCloseTo(1.149 * 0.5, within(1e-12));
    }

    @Test
    void readsWarmLinesLinesCopiedWithSpacesSnapStartRestoresAndFailures() {
        ReportLine warm = ReportLine.parse(
                        "REPORT RequestId: r2 Duration: 8.07 ms Billed Duration: 9 ms Memory Size: 1024 MB"
                                + " Max Memory Used: 405 MB")
                .orElseThrow();
        assertThat(warm.durationMs()).isEqualTo(8.07);
        assertThat(warm.billedDurationMs()).isEqualTo(9);
        assertThat(warm.initDurationMs()).isNull();
        assertThat(warm.maxMemoryUsedMb()).isEqualTo(405);

        ReportLine restored = ReportLine.parse(
                        "REPORT RequestId: r3\tDuration: 20.11 ms\tBilled Duration: 21 ms\tMemory Size: 2048 MB"
                                + "\tMax Memory Used: 300 MB\tRestore Duration: 412.50 ms\tBilled Restore Duration: 190 ms\t")
                .orElseThrow();
        assertThat(restored.restoreDurationMs()).isEqualTo(412.5);
        assertThat(restored.billedRestoreDurationMs()).isEqualTo(190);
        assertThat(restored.billedGbSeconds()).isCloseTo((21 + 190) / 1000.0 * 2, within(1e-12));

        ReportLine timeout = ReportLine.parse(
                        "REPORT RequestId: r4\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB"
                                + "\tMax Memory Used: 128 MB\tInit Duration: 250.00 ms\tStatus: timeout")
                .orElseThrow();
        assertThat(timeout.status()).isEqualTo("timeout");
        assertThat(timeout.initDurationMs()).isEqualTo(250.0);
    }

    @Test
    void ignoresWhatIsNotACompleteReportLine() {
        assertThat(ReportLine.parse("START RequestId: r1 Version: $LATEST")).isEmpty();
        assertThat(ReportLine.parse("END RequestId: r1")).isEmpty();
        assertThat(ReportLine.parse("REPORT RequestId: r1\tDuration: 1.00 ms")).isEmpty();
        assertThat(ReportLine.parse("INFO something mentions REPORT RequestId: later"))
                .isEmpty();
    }

    @Test
    void readsTheModelServersInstanceLineWithOrWithoutALogPrefix() {
        assertThat(InstanceLine.parse("SALVO_INSTANCE instance=5b1e model=minilm model_load_ms=1187"))
                .contains(new InstanceLine("5b1e", "minilm", 1187L));
        assertThat(
                        InstanceLine.parse(
                                "2026-12-05T10:15:30.123+0000 INFO io.salvo.modelserver.lambda.FunctionUrlHandler - SALVO_INSTANCE instance=x model=m"))
                .contains(new InstanceLine("x", "m", null));
        assertThat(InstanceLine.parse("SALVO_INSTANCE model=m")).isEmpty();
        assertThat(InstanceLine.parse("SALVO_READY port=1 instance=x")).isEmpty();
    }

    @Test
    void aWindowAddsUpRequestsAndGbSecondsAndMatchesStreamsToInstancesById() {
        Instant t = Instant.parse("2026-12-05T10:00:00Z");
        LambdaLogs logs = LambdaLogs.of(List.of(
                // out of order on purpose: CloudWatch interleaves streams
                new LogEvent(
                        "b",
                        t.plusSeconds(3),
                        "REPORT RequestId: 3\tDuration: 1 ms\tBilled Duration: 100 ms\tMemory Size: 2048 MB\tMax Memory Used: 1 MB\tInit Duration: 700.5 ms\t"),
                new LogEvent("a", t.plusSeconds(1), "SALVO_INSTANCE instance=A model=minilm model_load_ms=10"),
                new LogEvent(
                        "a",
                        t.plusSeconds(2),
                        "REPORT RequestId: 1\tDuration: 1 ms\tBilled Duration: 500 ms\tMemory Size: 2048 MB\tMax Memory Used: 10 MB\tInit Duration: 600.25 ms\t"),
                new LogEvent(
                        "a",
                        t.plusSeconds(4),
                        "REPORT RequestId: 2\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 2048 MB\tMax Memory Used: 12 MB\t"),
                new LogEvent("b", t.plusSeconds(2), "SALVO_INSTANCE instance=B model=minilm"),
                new LogEvent("a", t.plusSeconds(5), "some application log line")));
        assertThat(logs.requests()).isEqualTo(3);
        assertThat(logs.gbSeconds()).isCloseTo((100 + 500 + 1) / 1000.0 * 2, within(1e-12));
        assertThat(logs.instances()).extracting(LambdaInstance::logStream).containsExactly("a", "b");
        LambdaInstance a = logs.instance("A").orElseThrow();
        assertThat(a.initDurationMs()).isEqualTo(600.25);
        assertThat(a.invocations()).isEqualTo(2);
        assertThat(a.billedDurationMs()).isEqualTo(501);
        assertThat(a.maxMemoryUsedMb()).isEqualTo(12);
        assertThat(a.firstReportAt()).isEqualTo(t.plusSeconds(2));
        assertThat(logs.instance("B").orElseThrow().initDurationMs()).isEqualTo(700.5);
        assertThat(logs.instance("C")).isEmpty();
    }
}
