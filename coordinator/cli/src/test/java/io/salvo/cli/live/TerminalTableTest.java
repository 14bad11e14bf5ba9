package io.salvo.cli.live;

import static io.salvo.cli.live.SyntheticRun.times;
import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TerminalTableTest {

    private static final String ESC = "\033";

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private TerminalTable table(int columns) {
        return new TerminalTable(
                new RunProgress(SyntheticRun.plan()), new PrintStream(bytes, true, StandardCharsets.UTF_8), columns);
    }

    /** What was written since the last call. */
    private String written() {
        String text = bytes.toString(StandardCharsets.UTF_8);
        bytes.reset();
        return text;
    }

    private static LiveSnapshot first() {
        return SyntheticRun.withEvent(
                        SyntheticRun.interval(0, times(9, 1000), times(1, 1500)),
                        SyntheticRun.event(
                                LiveEventKind.LIVE_EVENT_KIND_COLD_START, 400_000, "cold start: i-1 took 0.40 s"))
                .build();
    }

    private static LiveSnapshot second() {
        return SyntheticRun.interval(1, times(10, 2000), new long[0]).build();
    }

    @Test
    void aRunWithRegionsHasARowPerRegionUnderTheLatencies() {
        TerminalTable table = table(120);
        table.interval(SyntheticRun.interval(0, times(10, 1000), new long[0])
                .addRegions(SyntheticRun.interval(0, times(6, 800), new long[0]).setRegion("us-east1"))
                .addRegions(SyntheticRun.interval(0, times(4, 1400), new long[0])
                        .setRegion("europe-west1")
                        .setWorkersReported(1)
                        .setWorkersAssigned(1))
                .build());

        assertThat(table.lines())
                .contains(
                        "           us-east1       0.80 ms     0.80 ms     0.80 ms     0.80 ms   ok 6.0/s  workers 2/2",
                        "           europe-wes     1.40 ms     1.40 ms     1.40 ms     1.40 ms   ok 4.0/s  workers 1/1");
    }

    @Test
    void showsTheIntervalTheRunSoFarAndWhereTheRunIsInItsPlan() {
        TerminalTable table = table(100);
        table.interval(first());
        table.interval(second());

        assertThat(table.lines())
                .containsExactly(
                        "salvo  demo  run run-1  running",
                        "elapsed        2.0 s / 8.0 s  [#############.....................................]  25 %",
                        "phase      1/2  100/s",
                        "rate       target      10.0/s   achieved      10.0/s   late 0   unsent 0",
                        "latency                       p50         p95         p99         max",
                        "           interval       2.00 ms     2.00 ms     2.00 ms     2.00 ms",
                        "           run            1.50 ms     2.00 ms     2.00 ms     2.00 ms",
                        "errors     interval 0   run 1 of 20 (5.00 %)   5xx 1",
                        "lag p99    0.12 ms (max 1.50 ms)   in-flight cap hits 0",
                        "instances  3 responding, 0 new",
                        "workers    2/2 reported",
                        "events         0.4 s  cold start: i-1 took 0.40 s");
    }

    @Test
    void eachFrameGoesBackUpOverTheLastAndOverwritesItLineByLine() {
        TerminalTable table = table(100);
        table.interval(first());
        String firstFrame = written();
        table.interval(second());
        String secondFrame = written();

        // The first frame starts where the cursor is; each line is cleared after its text, not before (no
        // flicker); anything left below by a longer frame is cleared at the end.
        assertThat(firstFrame).startsWith("salvo  demo  run run-1  running" + ESC + "[K\n");
        assertThat(firstFrame).endsWith(ESC + "[K\n" + ESC + "[J");
        assertThat(firstFrame.split("\n", -1)).hasSize(13);
        // The second goes back up exactly the 12 lines of the first.
        assertThat(secondFrame).startsWith("\r" + ESC + "[12A" + "salvo  demo  run run-1  running" + ESC + "[K\n");
        assertThat(secondFrame).contains("elapsed        2.0 s / 8.0 s");
        assertThat(secondFrame.split("\n", -1)).hasSize(13);
    }

    @Test
    void afterOtherOutputTheNextFrameIsDrawnBelowItInsteadOfOverIt() {
        TerminalTable table = table(100);
        table.interval(first());
        written();
        table.beforeOtherOutput();
        table.interval(second());

        assertThat(written()).startsWith("salvo  demo  run run-1  running" + ESC + "[K\n");
    }

    @Test
    void theLastFrameShowsTheFinalStateAndWhyAndLeavesTheCursorBelowIt() {
        TerminalTable table = table(100);
        table.interval(first());
        written();
        table.ended(SyntheticRun.end(RunState.RUN_STATE_STOPPED, "stopped by a client"));
        String last = written();

        assertThat(last).startsWith("\r" + ESC + "[12A" + "salvo  demo  run run-1  stopped" + ESC + "[K\n");
        assertThat(last).endsWith("Run ended: stopped by a client" + ESC + "[K\n" + ESC + "[J");
        // Whatever prints next (the report) is not overwritten by a later frame: there is none, and the
        // cursor-up count starts again.
        table.beforeOtherOutput();
        assertThat(written()).isEmpty();
    }

    @Test
    void theProgressBarFollowsTheElapsedTimeAndThePhaseTheRamp() {
        TerminalTable table = table(100);
        for (int i = 0; i < 6; i++) {
            table.interval(
                    SyntheticRun.interval(i, times(10, 1000), new long[0]).build());
        }
        List<String> lines = table.lines();
        assertThat(lines.get(2)).isEqualTo("phase      2/2  100 -> 200/s ramp");
        Matcher bar = Pattern.compile("\\[(#*)(\\.*)] +(\\d+) %").matcher(lines.get(1));
        assertThat(bar.find()).as(lines.get(1)).isTrue();
        int filled = bar.group(1).length();
        int width = filled + bar.group(2).length();
        assertThat(filled).isEqualTo(Math.round(width * 6 / 8.0));
        assertThat(bar.group(3)).isEqualTo("75");

        for (int i = 6; i < 9; i++) {
            table.interval(
                    SyntheticRun.interval(i, times(10, 1000), new long[0]).build());
        }
        lines = table.lines();
        assertThat(lines.get(1)).contains("9.0 s / 8.0 s").contains("100 %").doesNotContain(".]");
        assertThat(lines.get(2)).isEqualTo("phase      load over, draining the last responses");
    }

    @Test
    void keepsTheLastFourEventsOldestFirst() {
        TerminalTable table = table(100);
        for (int i = 0; i < 6; i++) {
            table.interval(SyntheticRun.withEvent(
                            SyntheticRun.interval(i, times(10, 1000), new long[0]),
                            SyntheticRun.event(
                                    LiveEventKind.LIVE_EVENT_KIND_COLD_START, i * 1_000_000L + 500_000, "event " + i))
                    .build());
        }
        List<String> lines = table.lines();
        assertThat(lines.subList(lines.size() - 4, lines.size()))
                .containsExactly(
                        "events         2.5 s  event 2",
                        "               3.5 s  event 3",
                        "               4.5 s  event 4",
                        "               5.5 s  event 5");
    }

    @Test
    void noLineReachesTheLastColumnOfANarrowTerminalAndWireTextCannotMoveTheCursor() {
        TerminalTable table = table(50);
        table.interval(SyntheticRun.withEvent(
                        SyntheticRun.interval(0, times(10, 1000), new long[0]),
                        SyntheticRun.event(
                                LiveEventKind.LIVE_EVENT_KIND_STEADY_STATE, 0, "steady\033[2J\rstate\nreached"))
                .build());
        List<String> lines = table.lines();
        assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThan(50));
        assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain(ESC, "\r", "\n"));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("events         0.0 s  steady [2J state reached");
    }

    @Test
    void beforeTheFirstIntervalItSaysSo() {
        TerminalTable table = table(100);
        table.ended(SyntheticRun.end(RunState.RUN_STATE_FAILED, "not enough workers"));
        assertThat(written().replace(ESC + "[K", "").replace(ESC + "[J", "")).isEqualTo("""
                        salvo  demo  run run-1  failed
                        elapsed        0.0 s / 8.0 s  [..................................................]   0 %
                        phase      -
                        waiting for the first interval...
                        Run ended: not enough workers
                        """);
    }
}
