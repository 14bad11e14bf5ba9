package io.salvo.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import io.salvo.report.RunReport.DecodedInterval;
import io.salvo.testkit.Golden;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.TimeZone;
import java.util.zip.Deflater;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the .hlog file (HdrHistogram log format 1.3, Salvo's layout v1: per interval the latency of all outcomes
 * untagged, then service time tagged {@value ReportFiles#SERVICE_TIME_TAG}), the way HdrHistogram's own
 * HistogramLogReaderWriterTest reads a golden log per format version.
 */
class HlogGoldenTest {

    private static final String GOLDEN = "run-v1.hlog";

    @TempDir
    Path dir;

    @Test
    void todaysWriterProducesTheGoldenLog() throws Exception {
        Golden.assertMatches(GOLDEN, written(GoldenRuns.steady()), HlogGoldenTest::differences);
    }

    @Test
    void hdrHistogramsReaderReadsTheGoldenAsTheFixedRunsHistograms() throws Exception {
        RunResult run = GoldenRuns.steady();
        HistogramLogReader reader = new HistogramLogReader(new ByteArrayInputStream(Golden.read(GOLDEN)));
        List<EncodableHistogram> logged = new ArrayList<>();
        for (EncodableHistogram h = reader.nextIntervalHistogram(); h != null; h = reader.nextIntervalHistogram()) {
            logged.add(h);
        }

        assertThat(reader.getStartTimeSec()).isEqualTo(run.getStartUnixNanos() / 1e9);
        long startMillis = run.getStartUnixNanos() / 1_000_000;
        int next = 0;
        for (MergedInterval m : run.getIntervalsList()) {
            DecodedInterval decoded = DecodedInterval.of(m);
            // Latency (untagged), service time, then each request phase a worker reported in the interval.
            List<String> tags = new ArrayList<>();
            List<Histogram> expected = new ArrayList<>();
            tags.add(null);
            expected.add(decoded.allLatency());
            tags.add(ReportFiles.SERVICE_TIME_TAG);
            expected.add(decoded.allServiceTime());
            String[] phaseTags = {
                ReportFiles.CONNECTION_WAIT_TAG,
                ReportFiles.TIME_TO_FIRST_BYTE_TAG,
                ReportFiles.CONNECT_TAG,
                ReportFiles.TLS_HANDSHAKE_TAG
            };
            Histogram[] phases = {
                decoded.connectionWait(), decoded.timeToFirstByte(), decoded.connect(), decoded.tlsHandshake()
            };
            for (int i = 0; i < phases.length; i++) {
                if (phases[i].getTotalCount() > 0) {
                    tags.add(phaseTags[i]);
                    expected.add(phases[i]);
                }
            }
            long from = startMillis + m.getIntervalIndex() * 1_000;
            for (int i = 0; i < tags.size(); i++) {
                assertThat(next).as("histograms in the log").isLessThan(logged.size());
                EncodableHistogram h = logged.get(next++);
                assertThat(h.getTag())
                        .as("interval %d histogram %d tag", m.getIntervalIndex(), i)
                        .isEqualTo(tags.get(i));
                assertThat(h.getStartTimeStamp())
                        .as("interval %d start", m.getIntervalIndex())
                        .isEqualTo(from);
                assertThat(h.getEndTimeStamp())
                        .as("interval %d end", m.getIntervalIndex())
                        .isEqualTo(from + 1_000);
                assertThat(h)
                        .as("interval %d %s", m.getIntervalIndex(), tags.get(i))
                        .isEqualTo(expected.get(i));
            }
        }
        assertThat(next).as("histograms in the log").isEqualTo(logged.size());
        assertThat(logged)
                .as("the steady run's request phases are in the log")
                .anySatisfy(h -> assertThat(h.getTag()).isEqualTo(ReportFiles.TLS_HANDSHAKE_TAG));
    }

    @Test
    void aGoldenDeflatedByAnotherZlibStillMatchesButOtherCountsDoNot() throws Exception {
        byte[] today = written(GoldenRuns.steady());
        String golden = Golden.text(Golden.read(GOLDEN));
        StringBuilder otherZlib = new StringBuilder();
        for (String line : golden.lines().toList()) {
            int comma = line.lastIndexOf(',');
            if (line.startsWith("#") || line.startsWith("\"") || comma < 0) {
                otherZlib.append(line).append('\n');
            } else {
                byte[] payload = Base64.getDecoder().decode(line.substring(comma + 1));
                otherZlib
                        .append(line, 0, comma + 1)
                        .append(Base64.getEncoder().encodeToString(Golden.deflatedAgain(payload, Deflater.BEST_SPEED)))
                        .append('\n');
            }
        }
        Histogram other = HistogramSpec.newHistogram();
        other.recordValue(1_890);
        String otherCounts = golden.replaceFirst(
                "(?m)^0\\.000,1\\.000,1\\.890,.*$",
                "0.000,1.000,1.890," + Base64.getEncoder().encodeToString(compressedAsTheLogWriterDoes(other)));

        assertThat(otherZlib.toString()).isNotEqualTo(golden);
        assertThat(differences(otherZlib.toString().getBytes(StandardCharsets.UTF_8), today))
                .isEmpty();
        assertThat(otherCounts).isNotEqualTo(golden);
        assertThat(differences(otherCounts.getBytes(StandardCharsets.UTF_8), today))
                .contains("reader: histogram 0 counts differ: golden 1 values up to 1890 us,"
                        + " actual 52 values up to 1890 us")
                .anySatisfy(d -> assertThat(d).startsWith("text: line 6:"));
    }

    private static byte[] compressedAsTheLogWriterDoes(Histogram h) {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int length = h.encodeIntoCompressedByteBuffer(buffer, Deflater.BEST_COMPRESSION);
        return Arrays.copyOf(buffer.array(), length);
    }

    /** The log as {@code salvo run} writes it to disk. */
    private byte[] written(RunResult run) throws Exception {
        Path hlog = dir.resolve("run.hlog");
        TimeZone zone = TimeZone.getDefault();
        // HdrHistogram's writer repeats the start time as java.util.Date text, in the JVM's default zone; the
        // golden holds it in UTC, whatever zone the machine running the test is set to.
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        try {
            ReportFiles.writeHlog(run, hlog);
        } finally {
            TimeZone.setDefault(zone);
        }
        return Files.readAllBytes(hlog);
    }

    /**
     * First as HdrHistogram's reader sees both logs (start time, then every interval's tag, timestamps and
     * counts), then as text, line by line. A histogram's base64 payload may differ only when both inflate to the
     * same counts and this machine's zlib does not deflate like the one that wrote the golden.
     */
    static List<String> differences(byte[] golden, byte[] actual) {
        List<String> out = new ArrayList<>();
        HistogramLogReader goldenReader = new HistogramLogReader(new ByteArrayInputStream(golden));
        HistogramLogReader actualReader = new HistogramLogReader(new ByteArrayInputStream(actual));
        List<EncodableHistogram> goldenLogged = new ArrayList<>();
        List<EncodableHistogram> actualLogged = new ArrayList<>();
        for (EncodableHistogram h = goldenReader.nextIntervalHistogram();
                h != null;
                h = goldenReader.nextIntervalHistogram()) {
            goldenLogged.add(h);
        }
        for (EncodableHistogram h = actualReader.nextIntervalHistogram();
                h != null;
                h = actualReader.nextIntervalHistogram()) {
            actualLogged.add(h);
        }
        if (goldenReader.getStartTimeSec() != actualReader.getStartTimeSec()) {
            out.add("reader: start time golden " + goldenReader.getStartTimeSec() + " s, actual "
                    + actualReader.getStartTimeSec() + " s");
        }
        if (goldenLogged.size() != actualLogged.size()) {
            out.add("reader: golden has " + goldenLogged.size() + " interval histograms, actual "
                    + actualLogged.size());
        }
        for (int i = 0; i < Math.min(goldenLogged.size(), actualLogged.size()); i++) {
            EncodableHistogram g = goldenLogged.get(i);
            EncodableHistogram a = actualLogged.get(i);
            String what = "reader: histogram " + i + " ";
            if (!Objects.equals(g.getTag(), a.getTag())) {
                out.add(what + "tag: golden " + g.getTag() + ", actual " + a.getTag());
            }
            if (g.getStartTimeStamp() != a.getStartTimeStamp() || g.getEndTimeStamp() != a.getEndTimeStamp()) {
                out.add(what + "time: golden " + g.getStartTimeStamp() + "-" + g.getEndTimeStamp() + " ms, actual "
                        + a.getStartTimeStamp() + "-" + a.getEndTimeStamp() + " ms");
            }
            if (!g.equals(a)) {
                out.add(what + "counts differ: golden " + summary(g) + ", actual " + summary(a));
            }
        }

        List<String> goldenLines = Golden.text(golden).lines().toList();
        List<String> actualLines = Golden.text(actual).lines().toList();
        if (goldenLines.size() != actualLines.size()) {
            out.add("text: golden has " + goldenLines.size() + " lines, actual " + actualLines.size());
        }
        for (int i = 0; i < Math.min(goldenLines.size(), actualLines.size()); i++) {
            String g = goldenLines.get(i);
            String a = actualLines.get(i);
            if (!g.equals(a) && !samePayloadDeflatedElsewhere(g, a)) {
                out.add("text: line " + (i + 1) + ": golden \"" + g + "\", actual \"" + a + "\"");
            }
        }
        return out;
    }

    private static String summary(EncodableHistogram h) {
        return h instanceof AbstractHistogram counts
                ? counts.getTotalCount() + " values up to " + counts.getMaxValue() + " us"
                : "max " + h.getMaxValueAsDouble() + " us";
    }

    /**
     * An interval line ends with its base64 compressed histogram. Two lines alike but for that payload are the same
     * when it inflates to the same bytes and this machine's zlib, at the level HistogramLogWriter uses
     * (BEST_COMPRESSION), would not have produced the golden's payload anyway.
     */
    private static boolean samePayloadDeflatedElsewhere(String golden, String actual) {
        int g = golden.lastIndexOf(',');
        int a = actual.lastIndexOf(',');
        if (golden.startsWith("#") || g < 0 || a < 0 || !golden.substring(0, g).equals(actual.substring(0, a))) {
            return false;
        }
        try {
            byte[] goldenPayload = Base64.getDecoder().decode(golden.substring(g + 1));
            byte[] actualPayload = Base64.getDecoder().decode(actual.substring(a + 1));
            return Arrays.equals(Golden.inflatedHistogram(goldenPayload), Golden.inflatedHistogram(actualPayload))
                    && !Golden.deflatesLikeThisMachine(goldenPayload, Deflater.BEST_COMPRESSION);
        } catch (IllegalArgumentException notAHistogram) {
            return false;
        }
    }
}
