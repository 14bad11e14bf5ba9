package io.salvo.coordinator.spill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's spill segment: what goes in comes back by key, the last write of a key wins, and copies check. */
class RunSegmentTest {

    @TempDir
    Path parentDirectory;

    private SpillDirectory directory;

    @BeforeEach
    void create() {
        directory = SpillDirectory.createUnder(parentDirectory);
    }

    @AfterEach
    void delete() {
        directory.close();
    }

    @Test
    void entriesAndSnapshotsComeBackByKeyAndTheLastWriteOfAKeyWins() {
        RunSegment segment = directory.segment("run/1 with spaces");
        segment.append(
                RunSegment.encodeBatch(1, Map.of(0L, bytes("e0 v1"), 1L, bytes("e1 v1")), Map.of(0L, bytes("s0"))));
        segment.append(RunSegment.encodeBatch(2, Map.of(0L, bytes("e0 v2"), 5L, bytes("e5")), Map.of(1L, bytes("s1"))));

        assertThat(segment.batches()).isEqualTo(2);
        assertThat(RunSegment.batchNumberOf(RunSegment.encodeBatch(7, Map.of(3L, bytes("x")), Map.of())))
                .isEqualTo(7);
        assertThat(text(segment.entry(0))).isEqualTo("e0 v2");
        assertThat(text(segment.entry(1))).isEqualTo("e1 v1");
        assertThat(segment.entry(2)).isNull();
        assertThat(segment.entry(500)).isNull();
        assertThat(segment.entries().keySet()).containsExactly(0L, 1L, 5L);
        assertThat(text(segment.entries().get(5L))).isEqualTo("e5");
        assertThat(segment.snapshots().keySet()).containsExactly(0L, 1L);
        assertThat(text(segment.snapshots().get(1L))).isEqualTo("s1");
    }

    @Test
    void aCopyReadInChunksReplacesAnotherSegmentAndATornTailIsCutOff() throws Exception {
        RunSegment source = directory.segment("source");
        for (int batch = 1; batch <= 5; batch++) {
            Map<Long, byte[]> entries = new TreeMap<>();
            for (long i = (batch - 1) * 10L; i < batch * 10L; i++) {
                entries.put(i, bytes("entry " + i + " ".repeat(100)));
            }
            source.append(RunSegment.encodeBatch(batch, entries, Map.of((long) batch, bytes("snapshot " + batch))));
        }
        RunSegment behind = directory.segment("behind");
        behind.append(RunSegment.encodeBatch(1, Map.of(0L, bytes("stale")), Map.of()));

        Path copy = directory.copyFileFor("behind");
        byte[] whole = readInChunks(source, 333);
        // A torn tail (a batch cut short) and garbage after it are cut off at the last whole batch.
        byte[] torn = Arrays.copyOf(whole, whole.length + 40);
        byte[] partial = RunSegment.encodeBatch(6, Map.of(99L, bytes("never acknowledged")), Map.of());
        System.arraycopy(partial, 0, torn, whole.length, 40);
        Files.write(copy, torn);

        assertThat(behind.replaceWith(copy, 5)).isEqualTo(5);
        assertThat(behind.length()).isEqualTo(whole.length);
        assertThat(behind.entries()).hasSize(50);
        assertThat(text(behind.entry(0))).startsWith("entry 0 ");
        assertThat(behind.entry(99)).isNull();
        assertThat(behind.snapshots().keySet()).containsExactly(1L, 2L, 3L, 4L, 5L);
        // It goes on from there.
        behind.append(RunSegment.encodeBatch(6, Map.of(50L, bytes("e50")), Map.of()));
        assertThat(behind.batches()).isEqualTo(6);
        assertThat(text(behind.entry(50))).isEqualTo("e50");
    }

    @Test
    void aCorruptRecordEndsTheCopyAtTheBatchBeforeIt() throws Exception {
        RunSegment source = directory.segment("source");
        source.append(RunSegment.encodeBatch(1, Map.of(0L, bytes("zero")), Map.of()));
        long firstBatch = source.length();
        source.append(RunSegment.encodeBatch(2, Map.of(1L, bytes("one")), Map.of()));
        byte[] whole = readInChunks(source, 1 << 20);
        whole[(int) firstBatch + 14] ^= 0x5a; // a byte of the second batch's entry payload

        Path copy = directory.copyFileFor("target");
        Files.write(copy, whole);
        RunSegment target = directory.segment("target");
        assertThat(target.replaceWith(copy, 1)).isEqualTo(1);
        assertThat(text(target.entry(0))).isEqualTo("zero");
        assertThat(target.entry(1)).isNull();
    }

    @Test
    void bytesThatAreNotAWholeBatchAreRefusedAndNothingIsWritten() {
        RunSegment segment = directory.segment("run");
        byte[] batch = RunSegment.encodeBatch(1, Map.of(0L, bytes("zero")), Map.of());

        assertThatThrownBy(() -> segment.append(Arrays.copyOf(batch, batch.length - 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not whole records");
        byte[] corrupt = batch.clone();
        corrupt[15] ^= 1;
        assertThatThrownBy(() -> segment.append(corrupt)).isInstanceOf(IllegalArgumentException.class);
        assertThat(segment.length()).isZero();
        assertThat(segment.batches()).isZero();
    }

    @Test
    void deletingARunAndClosingTheDirectoryRemoveTheirFiles() throws Exception {
        directory.segment("a").append(RunSegment.encodeBatch(1, Map.of(0L, bytes("a")), Map.of()));
        directory.segment("b").append(RunSegment.encodeBatch(1, Map.of(0L, bytes("b")), Map.of()));
        Path root = directory.root();
        assertThat(segmentFiles(root)).isEqualTo(2);
        directory.delete("a");
        assertThat(directory.existing("a")).isNull();
        assertThat(segmentFiles(root)).isEqualTo(1);
        directory.close();
        assertThat(root).doesNotExist();
    }

    @Test
    void aBatchThatDoesNotFollowAndACopyWithFewerBatchesAreRefused() throws Exception {
        RunSegment segment = directory.segment("run");
        segment.append(RunSegment.encodeBatch(1, Map.of(0L, bytes("zero")), Map.of()));
        assertThatThrownBy(() -> segment.append(RunSegment.encodeBatch(3, Map.of(1L, bytes("one")), Map.of())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not follow batch 1");
        // The same batch again (a spill retried) is taken: its records supersede the first ones.
        segment.append(RunSegment.encodeBatch(1, Map.of(0L, bytes("zero again")), Map.of()));
        segment.append(RunSegment.encodeBatch(2, Map.of(1L, bytes("one")), Map.of()));
        assertThat(segment.batches()).isEqualTo(2);
        assertThat(text(segment.entry(0))).isEqualTo("zero again");

        Path copy = directory.copyFileFor("run");
        Files.write(copy, RunSegment.encodeBatch(1, Map.of(0L, bytes("short copy")), Map.of()));
        assertThatThrownBy(() -> segment.replaceWith(copy, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("kept as it was");
        assertThat(copy).doesNotExist();
        assertThat(segment.batches()).isEqualTo(2);
        assertThat(text(segment.entry(1))).isEqualTo("one");
    }

    @Test
    void aNewDirectoryDeletesThoseOfCoordinatorsThatDiedButNotOfLiveOnes() throws Exception {
        Path parent = directory.root().getParent();
        Path dead = Files.createDirectory(parent.resolve("salvo-spill-dead"));
        Files.createFile(dead.resolve("owner.lock"));
        Files.write(dead.resolve("x.segment"), new byte[] {1, 2, 3});
        try (SpillDirectory another = SpillDirectory.createUnder(parent)) {
            assertThat(dead).doesNotExist();
            assertThat(directory.root())
                    .as("a live coordinator's, in this process")
                    .isDirectory();
            assertThat(another.root()).isDirectory();
        }
    }

    private static long segmentFiles(Path root) throws Exception {
        try (var files = Files.list(root)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".segment"))
                    .count();
        }
    }

    private static byte[] readInChunks(RunSegment segment, int chunk) {
        var out = new java.io.ByteArrayOutputStream();
        for (long offset = 0; ; ) {
            byte[] bytes = segment.read(offset, chunk);
            if (bytes.length == 0) {
                return out.toByteArray();
            }
            out.write(bytes, 0, bytes.length);
            offset += bytes.length;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
