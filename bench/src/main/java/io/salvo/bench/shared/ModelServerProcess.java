package io.salvo.bench.shared;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model server in a child process ({@code java -jar} of a server jar with this JVM's java), serving one model on a
 * free port, started and waited for until it prints its {@code SALVO_READY} line. The wall time from spawning the
 * process to reading that line is the cold start ModelServerBench reports.
 *
 * <p>Only the port is required of the ready line: ServerAB also starts servers of older revisions, whose ready line
 * may lack the timing fields that {@link #readyField} reads.
 */
public final class ModelServerProcess implements AutoCloseable {

    private static final Pattern READY_PORT = Pattern.compile("SALVO_READY port=(\\d+)");
    private static final long READY_TIMEOUT_SECONDS = 120;
    private static final long STOP_TIMEOUT_SECONDS = 20;

    private final Process process;
    private final String readyLine;
    private final int port;
    private final long spawnToReadyMillis;

    private ModelServerProcess(Process process, String readyLine, int port, long spawnToReadyMillis) {
        this.process = process;
        this.readyLine = readyLine;
        this.port = port;
        this.spawnToReadyMillis = spawnToReadyMillis;
    }

    /**
     * Starts {@code java -jar JAR} with PORT=0, SALVO_MODEL, SALVO_MODEL_DIR and {@code env}, and waits up to two
     * minutes for its ready line. The server's stderr is discarded.
     *
     * @throws IllegalStateException when the first line is not a ready line (the process is killed)
     */
    public static ModelServerProcess start(Path jar, Path modelDir, String model, Map<String, String> env)
            throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-jar", jar.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PORT", "0");
        builder.environment().put("SALVO_MODEL", model);
        builder.environment().put("SALVO_MODEL_DIR", modelDir.toString());
        builder.environment().putAll(env);
        long spawnedNanos = System.nanoTime();
        Process process = builder.start();
        String line;
        try {
            BufferedReader stdout =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            line = CompletableFuture.supplyAsync(() -> {
                        try {
                            return stdout.readLine();
                        } catch (IOException e) {
                            return null;
                        }
                    })
                    .get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
        long spawnToReadyMillis = (System.nanoTime() - spawnedNanos) / 1_000_000;
        Matcher ready = line == null ? null : READY_PORT.matcher(line);
        if (ready == null || !ready.find()) {
            process.destroyForcibly();
            throw new IllegalStateException(jar + " serving " + model + " did not become ready; first line: " + line);
        }
        return new ModelServerProcess(process, line, Integer.parseInt(ready.group(1)), spawnToReadyMillis);
    }

    public int port() {
        return port;
    }

    /** Wall time from spawning the JVM to reading its ready line. */
    public long spawnToReadyMillis() {
        return spawnToReadyMillis;
    }

    /** A numeric field of the ready line, e.g. {@code model_load_ms}. */
    public long readyField(String name) {
        Matcher field = Pattern.compile("\\b" + Pattern.quote(name) + "=(\\d+)").matcher(readyLine);
        if (!field.find()) {
            throw new IllegalStateException("no " + name + " in the ready line: " + readyLine);
        }
        return Long.parseLong(field.group(1));
    }

    /** Asks the server to stop (SIGTERM) without waiting, e.g. from a shutdown hook. */
    public void requestStop() {
        process.destroy();
    }

    /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 20 s or this thread is interrupted. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
