package io.salvo.it;

import io.salvo.cli.SalvoCli;
import io.salvo.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A `salvo` CLI process on this test's class path, as a user would start it. */
final class SalvoProcess implements AutoCloseable {

    final Process process;
    final Path log;

    private SalvoProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static SalvoProcess start(Path logDir, String name, String... args) throws IOException {
        return start(logDir, name, List.of(), args);
    }

    /** With these options for the JVM (system properties, say) before the class path. */
    static SalvoProcess start(Path logDir, String name, List<String> jvmOptions, String... args) throws IOException {
        return start(logDir, name, null, jvmOptions, args);
    }

    /**
     * With exactly {@code environment} (none of this JVM's), as a container has only its own; null inherits this
     * JVM's environment.
     */
    static SalvoProcess start(
            Path logDir, String name, Map<String, String> environment, List<String> jvmOptions, String... args)
            throws IOException {
        Files.createDirectories(logDir);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx384m");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SalvoCli.class.getName()));
        command.addAll(List.of(args));
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (environment != null) {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        Process p = builder.start();
        return new SalvoProcess(p, log);
    }

    /**
     * Waits until the log has a line matching the pattern and returns its first group (the whole line if it has
     * none). Fails with the log when the timeout has passed, and at once if the process exits without the line.
     */
    String awaitLine(Pattern pattern, long timeoutMillis) throws IOException {
        Seen seen;
        try {
            seen = Await.value(
                    "a line matching " + pattern + " in " + log.getFileName(), Duration.ofMillis(timeoutMillis), () -> {
                        String match = firstMatch(pattern, false);
                        if (match != null) {
                            return new Seen(match);
                        }
                        if (process.isAlive()) {
                            return null;
                        }
                        // Its log is complete now: read it once more, for what it wrote just before exiting.
                        return new Seen(firstMatch(pattern, true));
                    });
        } catch (AssertionError timeout) {
            throw new AssertionError(timeout.getMessage() + ":\n" + output(), timeout);
        }
        if (seen.match() == null) {
            throw new AssertionError(
                    "process exited with " + process.exitValue() + " before printing " + pattern + ":\n" + output());
        }
        return seen.match();
    }

    /** What {@link #awaitLine} found: the match, or null when the process had exited without one. */
    private record Seen(String match) {}

    /**
     * The first group (or the line) of the log's first line matching the pattern; null if none does yet. Read
     * while the process writes: a line counts once it has ended, unless {@code exited}, since half a line could
     * match too early (half a port number); and the half character a read may end with is no decoding error.
     */
    private String firstMatch(Pattern pattern, boolean exited) {
        String text;
        try {
            text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String complete = exited ? text : text.substring(0, text.lastIndexOf('\n') + 1);
        for (String line : complete.lines().toList()) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : line;
            }
        }
        return null;
    }

    int awaitExit(long timeoutSeconds) throws InterruptedException, IOException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + timeoutSeconds + " s:\n" + output());
        }
        return process.exitValue();
    }

    String output() throws IOException {
        // Leniently decoded: a process still writing may have left half a character at the end.
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }

    static String read(Process p) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            return String.join("\n", r.lines().toList());
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
