package io.salvo.coordinator.spill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

/**
 * This coordinator's spilled run state: one {@link RunSegment} per run, in a directory of its own that lives as long
 * as the coordinator (created at start, deleted at close). A restarted coordinator starts empty and copies what it needs
 * from its peers, as it does for the replicated maps.
 */
public final class SpillDirectory implements AutoCloseable {

    /** Environment variable naming where coordinators put their spill directories (default: the system temp dir). */
    public static final String LOCATION_VARIABLE = "SALVO_SPILL_DIR";

    private final Path root;
    private final Map<String, RunSegment> segments = new HashMap<>();
    private boolean closed;

    private SpillDirectory(Path root) {
        this.root = root;
    }

    /** A new, empty directory under {@code parent}. */
    public static SpillDirectory createUnder(Path parent) {
        try {
            Files.createDirectories(parent);
            return new SpillDirectory(Files.createTempDirectory(parent, "salvo-spill-"));
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

    /** Closes every segment and deletes the directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        segments.values().forEach(RunSegment::close);
        segments.clear();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete spill directory " + root, e);
        }
    }
}
