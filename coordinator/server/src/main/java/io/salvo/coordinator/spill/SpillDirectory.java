package io.salvo.coordinator.spill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * This coordinator's spilled run state: one {@link RunSegment} per run, in a directory of its own that lives as long
 * as the coordinator (created at start, deleted at close, locked meanwhile). A restarted coordinator starts empty and
 * copies the running runs' segments from its peers before it serves (see {@code SpillReplicas}).
 */
public final class SpillDirectory implements AutoCloseable {

    /** Environment variable naming where coordinators put their spill directories (default: the system temp dir). */
    public static final String LOCATION_VARIABLE = "SALVO_SPILL_DIR";

    private static final Logger LOG = Logger.getLogger(SpillDirectory.class.getName());
    private static final String PREFIX = "salvo-spill-";
    /** Locked for as long as the directory's coordinator lives: the operating system releases it when it dies. */
    private static final String LOCK = "owner.lock";

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Map<String, RunSegment> segments = new HashMap<>();
    private boolean closed;

    private SpillDirectory(Path root, FileChannel lockChannel, FileLock lock) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * A new, empty directory under {@code parent}. Directories there whose coordinator died without deleting its own
     * (killed, out of memory: their lock is free) are deleted first, so a coordinator restarting on a volume that
     * outlives it does not pile them up.
     */
    public static SpillDirectory createUnder(Path parent) {
        try {
            Files.createDirectories(parent);
            removeAbandoned(parent);
            Path root = Files.createTempDirectory(parent, PREFIX);
            FileChannel channel =
                    FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SpillDirectory(root, channel, channel.lock());
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create a spill directory under " + parent + " (set " + LOCATION_VARIABLE
                            + " to a writable directory)",
                    e);
        }
    }

    /** A new, empty directory where {@value #LOCATION_VARIABLE} says, or in the system temp dir. */
    public static SpillDirectory createDefault() {
        String configured = System.getenv(LOCATION_VARIABLE);
        return createUnder(Path.of(
                configured != null && !configured.isBlank() ? configured : System.getProperty("java.io.tmpdir")));
    }

    private static void removeAbandoned(Path parent) throws IOException {
        try (Stream<Path> dirs = Files.list(parent)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(PREFIX))
                    .toList()) {
                Path lockFile = dir.resolve(LOCK);
                if (!Files.isRegularFile(lockFile)) {
                    continue; // being created right now, or not ours
                }
                try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                    if (channel.tryLock() == null) {
                        continue; // its coordinator lives, in another process
                    }
                    deleteTree(dir);
                    LOG.info(() -> "deleted the spill directory of a coordinator that died: " + dir);
                } catch (OverlappingFileLockException e) {
                    // its coordinator lives, in this process
                } catch (IOException e) {
                    LOG.warning(() -> "could not check or delete spill directory " + dir + ": " + e);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    public Path root() {
        return root;
    }

    /** The run's segment, created empty the first time. */
    public synchronized RunSegment segment(String runId) {
        if (closed) {
            throw new IllegalStateException("spill directory " + root + " is closed");
        }
        return segments.computeIfAbsent(runId, id -> RunSegment.open(fileOf(id)));
    }

    /** The run's segment if this coordinator has spilled anything of it, else null. */
    public synchronized RunSegment existing(String runId) {
        return segments.get(runId);
    }

    /** A scratch file next to the run's segment, for a copy that replaces it. */
    public Path copyFileFor(String runId) {
        return root.resolve(fileOf(runId).getFileName() + ".copy");
    }

    /** The bytes this coordinator's segments hold on disk. */
    public synchronized long bytesOnDisk() {
        return segments.values().stream().mapToLong(RunSegment::length).sum();
    }

    /** Deletes the run's segment (its run was archived). */
    public synchronized void delete(String runId) {
        RunSegment segment = segments.remove(runId);
        if (segment != null) {
            segment.close();
        }
        try {
            Files.deleteIfExists(fileOf(runId));
            Files.deleteIfExists(copyFileFor(runId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the spill segment of run " + runId, e);
        }
    }

    /** Run ids come from users: the file is named by the id's hex, never by the id itself. */
    private Path fileOf(String runId) {
        return root.resolve(HexFormat.of().formatHex(runId.getBytes(StandardCharsets.UTF_8)) + ".segment");
    }

    /** Closes every segment, releases the directory and deletes it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        segments.values().forEach(RunSegment::close);
        segments.clear();
        try {
            lock.release();
            lockChannel.close();
            deleteTree(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete spill directory " + root, e);
        }
    }
}
