package io.salvo.cli.live;

import static io.salvo.cli.live.SyntheticRun.concat;
import static io.salvo.cli.live.SyntheticRun.times;
import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.RunState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PlainLinesTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PlainLines lines =
            new PlainLines(SyntheticRun.plan(), new PrintStream(bytes, true, StandardCharsets.UTF_8));

    @Test
    void oneLinePerIntervalAndOnePerEventThenWhyTheRunEnded() {
        lines.interval(SyntheticRun.withEvent(
                        SyntheticRun.interval(0, concat(times(9, 1000), times(0, 0)), times(1, 1500)),
                        SyntheticRun.event(
                                LiveEventKind.LIVE_EVENT_KIND_COLD_START, 400_000, "cold start: i-1 took 0.40 s"))
                .build());
        lines.interval(SyntheticRun.interval(1, times(10, 2000), new long[0]).build());
        lines.ended(SyntheticRun.end(RunState.RUN_STATE_STOPPED, "stopped by a client"));

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("""
                           1.0s  ok      9.0/s (target     10.0/s)  p50     1.00 ms  p99     1.50 ms  errors     1  late     0  workers 2/2
                                >> cold start: i-1 took 0.40 s
                           2.0s  ok     10.0/s (target     10.0/s)  p50     2.00 ms  p99     2.00 ms  errors     0  late     0  workers 2/2
                        Run ended: stopped by a client
                        """);
    }

    @Test
    void aRunWithRegionsHasALinePerRegionUnderEachInterval() {
        lines.interval(SyntheticRun.interval(0, times(10, 1000), new long[0])
                .addRegions(SyntheticRun.interval(0, times(6, 800), new long[0]).setRegion("us-east1"))
                .addRegions(SyntheticRun.interval(0, times(4, 1400), new long[0])
                        .setRegion("europe-west1")
                        .setWorkersReported(1)
                        .setWorkersAssigned(1))
                .build());

        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly(
                        "   1.0s  ok     10.0/s (target     10.0/s)  p50     1.00 ms  p99     1.00 ms  errors     0"
                                + "  late     0  workers 2/2",
                        "  us-east1       ok      6.0/s (target      6.0/s)  p50     0.80 ms  p99     0.80 ms  errors     0"
                                + "  late     0  workers 2/2",
                        "  europe-west1   ok      4.0/s (target      4.0/s)  p50     1.40 ms  p99     1.40 ms  errors     0"
                                + "  late     0  workers 1/1");
    }

    @Test
    void aRunThatCompletesWithoutAMessageEndsWithoutALine() {
        lines.interval(SyntheticRun.interval(0, times(10, 1000), new long[0]).build());
        lines.ended(SyntheticRun.end(RunState.RUN_STATE_COMPLETED, ""));

        assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).hasSize(1);
    }
}
