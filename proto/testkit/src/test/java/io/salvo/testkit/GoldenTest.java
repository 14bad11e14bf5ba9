package io.salvo.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class GoldenTest {

    private static final byte[] SAMPLE =
            "Salvo golden sample, format 1\nalpha\nbeta\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void equalOutputPassesAndRemovesWhatAnEarlierFailureWrote() throws Exception {
        Files.createDirectories(actualPath("sample-v1.txt").getParent());
        Files.writeString(actualPath("sample-v1.txt"), "stale");
        Golden.assertSameBytes("sample-v1.txt", SAMPLE);
        Golden.assertMatches("sample-v1.txt", SAMPLE, (g, a) -> Golden.lineDifferences(Golden.text(g), Golden.text(a)));
        assertThat(actualPath("sample-v1.txt")).doesNotExist();
    }

    @Test
    void differingOutputFailsNamingTheDifferenceAndIsWrittenForInspection() throws Exception {
        byte[] changed = "Salvo golden sample, format 1\nalpha\nBETA\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Golden.assertMatches(
                        "sample-v1.txt", changed, (g, a) -> Golden.lineDifferences(Golden.text(g), Golden.text(a))))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("golden file src/test/resources/golden/sample-v1.txt differs")
                .hasMessageContaining("golden only, line 3: \"beta\"")
                .hasMessageContaining("today's output only, line 3: \"BETA\"")
                .hasMessageContaining(actualPath("sample-v1.txt").toString());
        assertThat(actualPath("sample-v1.txt")).hasBinaryContent(changed);

        assertThatThrownBy(() -> Golden.assertSameBytes("sample-v1.txt", changed))
                .hasMessageContaining("first difference at byte 36: golden ... 70 68 61 0a [62] 65 74 61 0a,"
                        + " actual ... 70 68 61 0a [42]");
    }

    @Test
    void anInsertedLineIsOneDifference() {
        assertThat(Golden.lineDifferences("a\nb\nc\n", "a\nx\nb\nc\n"))
                .containsExactly("today's output only, line 2: \"x\"");
        assertThat(Golden.lineDifferences("a\nb\nc\n", "a\nc\nb\n"))
                .containsExactly("today's output only, line 2: \"c\"", "golden only, line 3: \"c\"");
        assertThat(Golden.lineDifferences("a\r\nb\r\n", "a\nb\n")).isEmpty();
    }

    @Test
    void missingGoldenFailsSayingSoAndTodaysOutputIsWritten() {
        byte[] output = "new format\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Golden.assertSameBytes("sample-v2.txt", output))
                .hasMessageContaining("golden file src/test/resources/golden/sample-v2.txt is missing")
                .hasMessageContaining(actualPath("sample-v2.txt").toString());
        assertThat(actualPath("sample-v2.txt")).hasBinaryContent(output);
        assertThatThrownBy(() -> Golden.read("sample-v2.txt")).hasMessageContaining("is missing");
    }

    @Test
    void histogramPayloadsCompareByContentAndByHowThisMachineDeflates() {
        byte[] counts = new byte[600];
        Arrays.fill(counts, 100, 400, (byte) 3);
        byte[] fast = compressed(counts, Deflater.BEST_SPEED);
        byte[] best = compressed(counts, Deflater.BEST_COMPRESSION);

        assertThat(fast).isNotEqualTo(best);
        assertThat(Golden.inflatedHistogram(fast)).isEqualTo(Golden.inflatedHistogram(best));
        assertThat(Golden.deflatesLikeThisMachine(best, Deflater.BEST_COMPRESSION))
                .isTrue();
        assertThat(Golden.deflatesLikeThisMachine(fast, Deflater.BEST_COMPRESSION))
                .isFalse();
        assertThat(Golden.deflatedAgain(fast, Deflater.BEST_COMPRESSION)).isEqualTo(best);
        assertThatThrownBy(() -> Golden.inflatedHistogram(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** HdrHistogram's compressed layout: cookie, deflated length, deflate stream. */
    private static byte[] compressed(byte[] content, int level) {
        Deflater deflater = new Deflater(level);
        deflater.setInput(content);
        deflater.finish();
        byte[] buffer = new byte[1024];
        int length = deflater.deflate(buffer);
        deflater.end();
        return ByteBuffer.allocate(8 + length)
                .putInt(0x1c849314)
                .putInt(length)
                .put(buffer, 0, length)
                .array();
    }

    private static Path actualPath(String name) {
        return Path.of(System.getProperty("basedir", "."), "target", "golden-actual", name)
                .toAbsolutePath()
                .normalize();
    }
}
