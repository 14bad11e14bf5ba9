package io.salvo.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Golden files: committed samples of a format that today's writer must still produce and today's reader
 * must still read, the way HdrHistogram keeps one {@code .hlog} per log format version. A golden's name
 * carries its format version ({@code report-v1.json}); changing a format means a new version and a new
 * golden next to the old one, never an edited golden.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Goldens are read from the test class path under {@value #DIRECTORY}/, i.e. from the module's
 *       {@code src/test/resources/golden/}. Nothing here ever writes a golden.</li>
 *   <li>When a golden is missing or differs, today's output is written to
 *       {@code target/golden-actual/<name>} of the module under test and the test fails with a message
 *       naming both files and the first {@value #MAX_REPORTED} differences the format's differ found; when it
 *       matches, a file an earlier failure left there is removed.</li>
 *   <li>Compressed HdrHistogram payloads are deflate streams, and deflate output is not part of any
 *       format: another zlib build may deflate the same counts into other bytes. The helpers at the end
 *       let a differ compare payloads by what they inflate to when this machine's zlib demonstrably
 *       deflates differently from the one that made the golden, and byte for byte otherwise.</li>
 * </ul>
 */
public final class Golden {

    /** Folder of the goldens, on the test class path and under {@code src/test/resources}. */
    public static final String DIRECTORY = "golden";
    /** Differences listed in a failure message; the file in golden-actual shows the rest. */
    public static final int MAX_REPORTED = 20;

    /** Lists how {@code actual} differs from {@code golden}, one readable line per difference; empty if alike. */
    @FunctionalInterface
    public interface Differ {
        List<String> differences(byte[] golden, byte[] actual) throws Exception;
    }

    private Golden() {}

    /** Fails unless {@code actual} matches golden {@code name} byte for byte. */
    public static void assertSameBytes(String name, byte[] actual) {
        assertMatches(name, actual, Golden::byteDifferences);
    }

    /**
     * Fails unless {@code differ} finds no difference between golden {@code name} and {@code actual}; when the
     * golden is missing or differs (or the differ throws), writes {@code actual} to target/golden-actual first.
     */
    public static void assertMatches(String name, byte[] actual, Differ differ) {
        byte[] golden = readOrNull(name);
        if (golden == null) {
            Path written = writeActual(name, actual);
            throw new AssertionError("golden file " + source(name) + " is missing. Today's writer produced " + written
                    + ": check it and commit it as " + source(name) + ".");
        }
        List<String> differences;
        try {
            differences = differ.differences(golden, actual);
        } catch (Exception | AssertionError e) {
            Path written = writeActual(name, actual);
            throw new AssertionError(
                    "golden file " + source(name) + " could not be compared with today's output (" + e
                            + "); today's output is in " + written,
                    e);
        }
        if (differences.isEmpty()) {
            deleteStaleActual(name);
            return;
        }
        Path written = writeActual(name, actual);
        StringBuilder message = new StringBuilder("golden file ")
                .append(source(name))
                .append(" differs from what today's writer produces (")
                .append(differences.size())
                .append(differences.size() == 1 ? " difference" : " differences")
                .append("):\n");
        differences.stream()
                .limit(MAX_REPORTED)
                .forEach(d -> message.append("  ").append(d).append('\n'));
        if (differences.size() > MAX_REPORTED) {
            message.append("  ...\n");
        }
        message.append("Today's output is in ")
                .append(written)
                .append(". A deliberate format change needs a new")
                .append(" format version and a new golden next to this one; goldens are never edited.");
        throw new AssertionError(message.toString());
    }

    /** The golden's bytes; fails naming the file when it is missing. */
    public static byte[] read(String name) {
        byte[] golden = readOrNull(name);
        if (golden == null) {
            throw new AssertionError("golden file " + source(name) + " is missing");
        }
        return golden;
    }

    /** Where the module keeps golden {@code name}, for messages. */
    public static String source(String name) {
        return "src/test/resources/" + DIRECTORY + "/" + name;
    }

    /** UTF-8 text of a golden or an output, for text formats. */
    public static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The first differing byte with some context in hex, and the lengths if they differ. */
    public static List<String> byteDifferences(byte[] golden, byte[] actual) {
        int mismatch = Arrays.mismatch(golden, actual);
        if (mismatch < 0) {
            return List.of();
        }
        List<String> differences = new ArrayList<>();
        if (golden.length != actual.length) {
            differences.add("length: golden " + golden.length + " bytes, actual " + actual.length);
        }
        differences.add("first difference at byte " + mismatch + ": golden " + hex(golden, mismatch) + ", actual "
                + hex(actual, mismatch));
        return differences;
    }

    /**
     * Line by line (any line ending), as a diff: each line only the golden has and each line only today's output
     * has, with its line number, so one inserted or renumbered line shows as one difference, not as a shift.
     */
    public static List<String> lineDifferences(String golden, String actual) {
        List<String> g = golden.lines().toList();
        List<String> a = actual.lines().toList();
        // Longest common subsequence; goldens are small samples, so quadratic is fine.
        int[][] common = new int[g.size() + 1][a.size() + 1];
        for (int i = g.size() - 1; i >= 0; i--) {
            for (int j = a.size() - 1; j >= 0; j--) {
                common[i][j] = g.get(i).equals(a.get(j))
                        ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        List<String> differences = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < g.size() || j < a.size()) {
            if (i < g.size() && j < a.size() && g.get(i).equals(a.get(j))) {
                i++;
                j++;
            } else if (j < a.size() && (i == g.size() || common[i][j + 1] >= common[i + 1][j])) {
                differences.add("today's output only, line " + (j + 1) + ": " + quote(a.get(j)));
                j++;
            } else {
                differences.add("golden only, line " + (i + 1) + ": " + quote(g.get(i)));
                i++;
            }
        }
        return differences;
    }

    /**
     * HdrHistogram's compressed encoding (cookie, deflated length, deflate stream) with the stream replaced by
     * what it inflates to: two payloads with equal results hold the same histogram, however they were deflated.
     *
     * @throws IllegalArgumentException when the payload is not a compressed histogram
     */
    public static byte[] inflatedHistogram(byte[] compressed) {
        ByteBuffer in = ByteBuffer.wrap(compressed);
        if (compressed.length < 8) {
            throw new IllegalArgumentException("compressed histogram of " + compressed.length + " bytes");
        }
        int cookie = in.getInt();
        int deflatedLength = in.getInt();
        if (deflatedLength < 0 || deflatedLength > compressed.length - 8) {
            throw new IllegalArgumentException("compressed histogram claims " + deflatedLength + " deflated bytes");
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed, 8, deflatedLength);
            // Salvo's histograms inflate to at most a few hundred KB; a golden is a small sample.
            byte[] buffer = new byte[1 << 20];
            int length = inflater.inflate(buffer);
            if (!inflater.finished()) {
                throw new IllegalArgumentException("compressed histogram does not inflate within 1 MB");
            }
            return ByteBuffer.allocate(4 + length)
                    .putInt(cookie)
                    .put(buffer, 0, length)
                    .array();
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("compressed histogram is not a deflate stream: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    /**
     * True when this JVM's zlib, at {@code level}, deflates the payload's content into exactly its bytes: then
     * the golden came from a zlib that deflates like this one, and payloads must match byte for byte.
     */
    public static boolean deflatesLikeThisMachine(byte[] compressed, int level) {
        byte[] inflated = inflatedHistogram(compressed);
        Deflater deflater = new Deflater(level);
        try {
            deflater.setInput(inflated, 4, inflated.length - 4);
            deflater.finish();
            byte[] buffer = new byte[compressed.length + 64];
            int length = 0;
            while (!deflater.finished() && length < buffer.length) {
                length += deflater.deflate(buffer, length, buffer.length - length);
            }
            return deflater.finished() && Arrays.equals(buffer, 0, length, compressed, 8, compressed.length);
        } finally {
            deflater.end();
        }
    }

    /**
     * The payload with its content deflated again at {@code level}: the same histogram in other bytes, as another
     * zlib build might write it. For tests of a differ's tolerance.
     */
    public static byte[] deflatedAgain(byte[] compressed, int level) {
        byte[] inflated = inflatedHistogram(compressed);
        Deflater deflater = new Deflater(level);
        try {
            deflater.setInput(inflated, 4, inflated.length - 4);
            deflater.finish();
            byte[] buffer = new byte[inflated.length + 64];
            int length = 0;
            while (!deflater.finished()) {
                if (length == buffer.length) {
                    buffer = Arrays.copyOf(buffer, 2 * buffer.length);
                }
                length += deflater.deflate(buffer, length, buffer.length - length);
            }
            return ByteBuffer.allocate(8 + length)
                    .put(inflated, 0, 4)
                    .putInt(length)
                    .put(buffer, 0, length)
                    .array();
        } finally {
            deflater.end();
        }
    }

    private static byte[] readOrNull(String name) {
        try (InputStream in = loader().getResourceAsStream(DIRECTORY + "/" + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden " + name, e);
        }
    }

    private static Path writeActual(String name, byte[] actual) {
        Path path = targetDirectory().resolve("golden-actual").resolve(name);
        try {
            Files.createDirectories(path.getParent());
            Files.write(path, actual);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write today's output to " + path, e);
        }
        return path.toAbsolutePath().normalize();
    }

    /** A passing comparison removes what an earlier failure left, so golden-actual lists only today's failures. */
    private static void deleteStaleActual(String name) {
        try {
            Files.deleteIfExists(targetDirectory().resolve("golden-actual").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove a stale " + name + " from golden-actual", e);
        }
    }

    /** target/ of the module under test: the parent of test-classes/, which holds the goldens. */
    private static Path targetDirectory() {
        URL testClasses = loader().getResource(DIRECTORY + "/");
        if (testClasses != null && "file".equals(testClasses.getProtocol())) {
            try {
                Path goldenDir = Path.of(testClasses.toURI());
                return goldenDir.getParent().getParent();
            } catch (URISyntaxException e) {
                // fall through to the module directory Surefire runs in
            }
        }
        return Path.of(System.getProperty("basedir", "."), "target");
    }

    private static ClassLoader loader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : Golden.class.getClassLoader();
    }

    private static String hex(byte[] bytes, int at) {
        if (at >= bytes.length) {
            return "(end)";
        }
        int from = Math.max(0, at - 4);
        int to = Math.min(bytes.length, at + 8);
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) {
            s.append(i == at ? "[" : "")
                    .append(String.format("%02x", bytes[i] & 0xff))
                    .append(i == at ? "]" : "");
            s.append(i + 1 < to ? " " : "");
        }
        return (from > 0 ? "... " : "") + s + (to < bytes.length ? " ..." : "");
    }

    private static String quote(String line) {
        return "\"" + line + "\"";
    }
}
