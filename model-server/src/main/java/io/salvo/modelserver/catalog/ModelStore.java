package io.salvo.modelserver.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The on-disk cache of prepared models: {@code <root>/<model name>/model.onnx} plus, by kind, {@code tokenizer.json}
 * or {@code labels.txt}. A model directory appears atomically (prepared in a temporary sibling, then renamed), so
 * several processes may prepare the same model at once and none ever loads a half-written file.
 */
public final class ModelStore {

    public static final String MODEL_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String LABELS_FILE = "labels.txt";

    /** Where a prepared model lives and what preparing it cost (0 when it was already on disk). */
    public record PreparedModel(ModelDescriptor descriptor, Path directory, long prepareMillis) {
        public Path modelFile() {
            return directory.resolve(MODEL_FILE);
        }

        public Path tokenizerFile() {
            return directory.resolve(TOKENIZER_FILE);
        }

        public Path labelsFile() {
            return directory.resolve(LABELS_FILE);
        }
    }

    private final Path root;

    public ModelStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path directoryOf(ModelDescriptor descriptor) {
        return root.resolve(descriptor.name());
    }

    public boolean isPrepared(ModelDescriptor descriptor) {
        return Files.isRegularFile(directoryOf(descriptor).resolve(MODEL_FILE));
    }

    /** Returns the model's files, preparing them first if they are not on disk yet. */
    public PreparedModel prepare(ModelDescriptor descriptor) throws IOException {
        Path target = directoryOf(descriptor);
        if (isPrepared(descriptor)) {
            return new PreparedModel(descriptor, target, 0);
        }
        long start = System.nanoTime();
        Files.createDirectories(root);
        Path staging = Files.createTempDirectory(root, "." + descriptor.name() + "-preparing-");
        try {
            descriptor.preparer().prepareInto(staging);
            makeWorldReadable(staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                // another process finished first; its files are equivalent (everything is seeded)
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("model directory " + root + " does not support atomic renames", e);
            }
        } finally {
            deleteRecursively(staging);
        }
        return new PreparedModel(descriptor, target, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * Temporary directories are created owner-only; images prepare models as root and run as another user, so the
     * finished directory must be readable by everyone (it holds nothing secret).
     */
    public static void makeWorldReadable(Path directory) throws IOException {
        if (!directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file)) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
