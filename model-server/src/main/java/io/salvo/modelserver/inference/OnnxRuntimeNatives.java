package io.salvo.modelserver.inference;

import ai.onnxruntime.OrtEnvironment;
import io.salvo.modelserver.catalog.ModelStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Keeps ONNX Runtime's native libraries extracted on disk between process starts.
 *
 * <p>By default ONNX Runtime's Java binding copies its native libraries (28 MB on linux-x64) out of its jar into a
 * fresh temporary directory on every start; measured here that was 0.3 to 1 s of every cold start, more than loading
 * a small model. Extracting them once into a cache directory and pointing {@code onnxruntime.native.path} at it
 * removes that cost. Must run before the first use of any ONNX Runtime class. Falls back to ONNX Runtime's own
 * extraction (and logs why) when the platform is unknown or the cache directory is not writable.
 */
public final class OnnxRuntimeNatives {

    private static final Logger LOG = Logger.getLogger(OnnxRuntimeNatives.class.getName());
    private static final String NATIVE_PATH_PROPERTY = "onnxruntime.native.path";
    private static final List<String> LIBRARIES = List.of("libonnxruntime.so", "libonnxruntime4j_jni.so");

    private OnnxRuntimeNatives() {}

    /** Points ONNX Runtime at extracted libraries under {@code cacheRoot}, extracting them first if needed. */
    public static synchronized void useCache(Path cacheRoot) {
        if (System.getProperty(NATIVE_PATH_PROPERTY) != null) {
            return;
        }
        Optional<String> platform = platform();
        if (platform.isEmpty()) {
            return;
        }
        String resourceDirectory = "ai/onnxruntime/native/" + platform.get() + "/";
        Path directory = cacheRoot.resolve("onnxruntime-" + jarIdentity() + "-" + platform.get());
        try {
            if (!LIBRARIES.stream().allMatch(library -> Files.isRegularFile(directory.resolve(library)))) {
                extract(resourceDirectory, directory);
            }
            System.setProperty(NATIVE_PATH_PROPERTY, directory.toString());
        } catch (IOException | RuntimeException e) {
            LOG.warning(() -> "ONNX Runtime native libraries not cached in " + directory + " (" + e
                    + "); ONNX Runtime extracts them on every start");
        }
    }

    private static void extract(String resourceDirectory, Path directory) throws IOException {
        Files.createDirectories(directory.getParent());
        Path staging = Files.createTempDirectory(directory.getParent(), ".onnxruntime-extracting-");
        try {
            ClassLoader loader = OrtEnvironment.class.getClassLoader();
            for (String library : LIBRARIES) {
                try (InputStream in = loader.getResourceAsStream(resourceDirectory + library)) {
                    if (in == null) {
                        throw new IOException("the onnxruntime jar has no " + resourceDirectory + library);
                    }
                    Files.copy(in, staging.resolve(library));
                }
            }
            ModelStore.makeWorldReadable(staging);
            try {
                Files.move(staging, directory, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                // another process extracted the same files first
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically in " + directory.getParent(), e);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(staging)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException ignored) {
                // staging was moved away or is already gone
            }
        }
    }

    /** ONNX Runtime's name for this platform's native directory; only Linux libraries use the .so names above. */
    private static Optional<String> platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            return Optional.empty();
        }
        return switch (arch) {
            case "amd64", "x86_64" -> Optional.of("linux-x64");
            case "aarch64", "arm64" -> Optional.of("linux-aarch64");
            default -> Optional.empty();
        };
    }

    /** The onnxruntime jar's file name and size, so a different ONNX Runtime version never reuses stale libraries. */
    private static String jarIdentity() {
        try {
            Path jar = Path.of(OrtEnvironment.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return jar.getFileName().toString().replaceAll("\\.jar$", "") + "-" + Files.size(jar);
        } catch (Exception e) {
            return "unknown";
        }
    }
}
