package io.salvo.cli.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.platform.PlatformEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The platform's counts and events in each live output: plain lines, JSON lines, the terminal table. */
class PlatformUpdateOutputTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private static final PlatformEvent FAILED = new PlatformEvent(
            Instant.parse("2026-03-01T10:00:01Z"),
            "Warning",
            "pod/model-b",
            "FailedScheduling",
            "0/1 nodes are available: 1 Insufficient cpu.");
    private static final PlatformEvent PULLED = new PlatformEvent(
            Instant.parse("2026-03-01T10:00:03Z"), "Normal", "pod/model-a", "Pulled", "Successfully pulled image");

    @Test
    void plainLinesShowCountsWhenTheyChangeAndEveryEventWithWarningsMarked() {
        PlainLines lines = new PlainLines(SyntheticRun.plan(), out);
        lines.platform(new PlatformUpdate(0, 0, 2, List.of(FAILED)));
        lines.platform(new PlatformUpdate(1, 0, 2, List.of(PULLED)));
        lines.platform(new PlatformUpdate(2, 1, 1, List.of()));
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly(
                        "        platform: ready 0, starting 2",
                        "        !! Warning FailedScheduling pod/model-b: 0/1 nodes are available: 1 Insufficient cpu.",
                        "           Normal Pulled pod/model-a: Successfully pulled image",
                        "        platform: ready 1, starting 1");
    }

    @Test
    void jsonLinesCarryAPlatformObject() throws Exception {
        JsonLines json = new JsonLines(new RunProgress(SyntheticRun.plan()), out);
        json.platform(new PlatformUpdate(4, 1, 1, List.of(FAILED)));
        JsonNode o = new ObjectMapper().readTree(bytes.toString(StandardCharsets.UTF_8));
        assertThat(o.get("type").asText()).isEqualTo("platform");
        assertThat(o.get("interval_index").asLong()).isEqualTo(4);
        assertThat(o.get("ready_instances").asInt()).isEqualTo(1);
        assertThat(o.get("starting_instances").asInt()).isEqualTo(1);
        JsonNode e = o.get("events").get(0);
        assertThat(e.get("at").asText()).isEqualTo("2026-03-01T10:00:01Z");
        assertThat(e.get("severity").asText()).isEqualTo("Warning");
        assertThat(e.get("object").asText()).isEqualTo("pod/model-b");
        assertThat(e.get("reason").asText()).isEqualTo("FailedScheduling");
        assertThat(e.get("message").asText()).isEqualTo("0/1 nodes are available: 1 Insufficient cpu.");
    }

    @Test
    void theTableShowsReadyPodsBesideTheRateAndTheLastWarnings() {
        TerminalTable table = new TerminalTable(new RunProgress(SyntheticRun.plan()), out, 120);
        table.interval(SyntheticRun.interval(0, SyntheticRun.times(9, 1000), SyntheticRun.times(0, 0))
                .build());
        table.platform(new PlatformUpdate(0, 1, 1, List.of(FAILED, PULLED)));
        List<String> frame = table.lines();
        int rate = indexOf(frame, "rate ");
        assertThat(frame.get(rate + 1)).isEqualTo("platform   ready 1, starting 1");
        assertThat(frame.get(rate + 2))
                .isEqualTo("           !! Warning FailedScheduling pod/model-b: 0/1 nodes are available: 1 Insufficient"
                        + " cpu.");
    }

    /**
     * What {@code salvo watch} and {@code salvo run} show of a snapshot the coordinator filled from a client's
     * ReportPlatform: the counts and the warning with its message, once, marked; not again among the interval's
     * detector lines.
     */
    @Test
    void aSnapshotsPlatformCountsAndEventsAreShownOnceAsPlatformLines() {
        String text = "platform: Warning FailedScheduling pod/model-b: 0/1 nodes are available: 1 Insufficient cpu.";
        io.salvo.proto.v1.LiveSnapshot snapshot = SyntheticRun.interval(
                        0, SyntheticRun.times(9, 1000), SyntheticRun.times(0, 0))
                .setPlatform(io.salvo.proto.v1.PlatformInstances.newBuilder()
                        .setReady(1)
                        .setStarting(1))
                .addEvents("cold start of instance a")
                .addEvents(text)
                .addLiveEvents(io.salvo.proto.v1.LiveEvent.newBuilder()
                        .setKind(io.salvo.proto.v1.LiveEventKind.LIVE_EVENT_KIND_PLATFORM)
                        .setText(text)
                        .setPlatformEvent(io.salvo.proto.v1.PlatformEventReport.newBuilder()
                                .setAtUnixNanos(1_772_359_201_000_000_000L)
                                .setSeverity("Warning")
                                .setObject("pod/model-b")
                                .setReason("FailedScheduling")
                                .setMessage("0/1 nodes are available: 1 Insufficient cpu.")))
                .build();
        PlatformUpdate update = PlatformUpdate.of(snapshot);
        assertThat(update).isEqualTo(new PlatformUpdate(0, 1, 1, List.of(FAILED)));

        PlainLines lines = new PlainLines(SyntheticRun.plan(), out);
        lines.interval(snapshot);
        lines.platform(update);
        List<String> shown = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(shown).contains("        >> cold start of instance a", "        platform: ready 1, starting 1");
        assertThat(shown)
                .filteredOn(l -> l.contains("FailedScheduling"))
                .containsExactly(
                        "        !! Warning FailedScheduling pod/model-b: 0/1 nodes are available: 1 Insufficient cpu.");

        // a snapshot without anything of a platform shows nothing of one
        assertThat(PlatformUpdate.of(SyntheticRun.interval(1, SyntheticRun.times(9, 1000), SyntheticRun.times(0, 0))
                        .build()))
                .isNull();
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starts with '" + prefix + "' in " + lines);
    }
}
