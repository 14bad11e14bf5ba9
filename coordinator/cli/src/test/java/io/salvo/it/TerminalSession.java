package io.salvo.it;

import io.salvo.cli.SalvoCli;
import io.salvo.testkit.Await;
import io.salvo.testkit.Prerequisite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A `salvo` command on a real pseudo-terminal: a detached tmux session of a given size, on a tmux server of its
 * own (so a developer's sessions are never touched), whose screen the test reads as the user would see it.
 */
final class TerminalSession implements AutoCloseable {

    private final String socket = "salvo-test-" + UUID.randomUUID();
    private final String name;
    private final Path exitFile;

    private TerminalSession(String name, Path exitFile) {
        this.name = name;
        this.exitFile = exitFile;
    }

    /** Skips (or under CI fails) the calling test when tmux is missing. */
    static void requireTmux() {
        boolean present;
        try {
            Process p =
                    new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
            present = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            present = false;
        }
        Prerequisite.require(present, "tmux is needed to run salvo on a pseudo-terminal (apt-get install tmux)");
    }

    /** Starts {@code salvo ARGS} in a {@code columns} x {@code rows} terminal; its exit code is kept for {@link #awaitExit}. */
    static TerminalSession start(Path dir, String name, int columns, int rows, String... args)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path exitFile = dir.resolve(name + ".exit");
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m",
                "-cp",
                System.getProperty("java.class.path"),
                SalvoCli.class.getName()));
        command.addAll(List.of(args));
        // Ctrl-C reaches the whole foreground process group: the shell catches it (its trap is reset to the
        // default in the command it starts) so that it lives on to record the command's exit code.
        StringBuilder script = new StringBuilder("#!/bin/sh\ntrap 'true' INT\n");
        for (String word : command) {
            script.append('\'').append(word.replace("'", "'\\''")).append("' ");
        }
        // The exit code is written atomically; the pane then stays open so its screen can still be read.
        script.append("\necho $? > '")
                .append(exitFile)
                .append(".tmp' && mv '")
                .append(exitFile)
                .append(".tmp' '")
                .append(exitFile)
                .append("'\nexec sleep 600\n");
        Path scriptFile = dir.resolve(name + ".sh");
        Files.writeString(scriptFile, script.toString());
        TerminalSession session = new TerminalSession(name, exitFile);
        session.tmux(
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                Integer.toString(columns),
                "-y",
                Integer.toString(rows),
                "sh " + scriptFile);
        return session;
    }

    /** The screen and its scrollback, one string per line, trailing blanks cut. */
    String screen() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-t", name, "-S", "-", "-E", "-");
    }

    void sendKeys(String keys) throws IOException, InterruptedException {
        tmux("send-keys", "-t", name, keys);
    }

    /** Waits until the screen shows {@code text}; fails with the screen after {@code timeout}. */
    void awaitScreen(String text, Duration timeout) throws IOException, InterruptedException {
        try {
            Await.until(
                    "'" + text + "' on the terminal",
                    timeout,
                    () -> screenOrEmpty().contains(text));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the screen:\n" + screen(), e);
        }
    }

    int awaitExit(Duration timeout) throws IOException, InterruptedException {
        try {
            Await.until("the salvo command to exit", timeout, () -> Files.exists(exitFile));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the screen:\n" + screen(), e);
        }
        return Integer.parseInt(Files.readString(exitFile).strip());
    }

    private String screenOrEmpty() {
        try {
            return screen();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", socket, "-f", "/dev/null"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    @Override
    public void close() {
        try {
            tmux("kill-server");
        } catch (IOException alreadyGone) {
            // The server exits by itself once its last session has ended.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
