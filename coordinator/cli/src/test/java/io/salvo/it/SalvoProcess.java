package io.salvo.it;

import io.salvo.cli.SalvoCli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        Files.createDirectories(logDir);
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx384m", "-cp",
                System.getProperty("java.class.path"), SalvoCli.class.getName()));
        command.addAll(List.of(args));
        Path log = logDir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new SalvoProcess(p, log);
    }

    /** Waits until the log has a line matching the pattern and returns its first group. */
    String awaitLine(Pattern pattern, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                Matcher m = pattern.matcher(line);
                if (m.find()) {
                    return m.groupCount() > 0 ? m.group(1) : line;
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("process exited with " + process.exitValue() + " before printing "
                        + pattern + ":\n" + output());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line matching " + pattern + " within " + timeoutMillis + " ms:\n" + output());
    }

    int awaitExit(long timeoutSeconds) throws InterruptedException, IOException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + timeoutSeconds + " s:\n" + output());
        }
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
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
