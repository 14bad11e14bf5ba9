package io.salvo.cli;

import io.salvo.core.security.ClusterToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Worker processes that {@code salvo run} starts on this machine: separate JVMs on the same class
 * path, talking to the embedded coordinator over loopback gRPC exactly as remote workers would.
 * They watch this process and exit when it disappears, so even a killed CLI leaves no orphans.
 *
 * <p>They inherit the CLI's {@code javax.net.ssl.*} system properties (a trust store for an https
 * target signed by a private CA), through a Java argument file readable only by this user rather than
 * on their command lines, where a trust-store password would show in every process listing.
 */
final class LocalWorkers implements AutoCloseable {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private Path sslArguments;

    /** The token reaches the workers through their environment, never their command line. */
    static LocalWorkers start(int count, String coordinator, ClusterToken token, Path logDir) throws IOException {
        LocalWorkers workers = new LocalWorkers();
        Files.createDirectories(logDir);
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("java.class.path");
        long parent = ProcessHandle.current().pid();
        workers.sslArguments = sslArgumentFile(System.getProperties(), logDir);
        for (int i = 0; i < count; i++) {
            Path log = logDir.resolve("worker-" + i + ".log");
            List<String> command = new ArrayList<>();
            // Own session: a Ctrl-C in the terminal reaches only the CLI, which stops the run in order
            // and lets the workers deliver their last interval before it closes them.
            if (Files.isExecutable(SETSID)) {
                command.add(SETSID.toString());
            }
            // MetaspaceSize: no full collection while a run's first second loads new classes.
            command.addAll(List.of(java, "-Xmx512m", "-XX:+UseParallelGC", "-XX:MetaspaceSize=64m"));
            if (workers.sslArguments != null) {
                command.add("@" + workers.sslArguments);
            }
            command.addAll(List.of(
                    "-cp",
                    classPath,
                    SalvoCli.class.getName(),
                    "worker",
                    "--coordinator",
                    coordinator,
                    "--id",
                    "local-" + i,
                    "--region",
                    "local",
                    "--exit-with-parent",
                    Long.toString(parent)));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put(ClusterToken.ENVIRONMENT_VARIABLE, token.reveal());
            Process process = builder.redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            workers.processes.add(process);
            workers.logs.add(log);
        }
        return workers;
    }

    /**
     * Writes the {@code javax.net.ssl.*} properties as {@code -Dname=value} lines of a Java argument file
     * (owner read/write only) in {@code dir}; null when there are none.
     */
    static Path sslArgumentFile(Properties properties, Path dir) throws IOException {
        Map<String, String> ssl = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith("javax.net.ssl.")) {
                ssl.put(name, properties.getProperty(name));
            }
        }
        if (ssl.isEmpty()) {
            return null;
        }
        StringBuilder lines = new StringBuilder();
        ssl.forEach((name, value) ->
                lines.append('"').append(quoted("-D" + name + "=" + value)).append("\"\n"));
        Path file = dir.resolve("worker-ssl.args");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, lines);
        return file;
    }

    /** Escapes for a double-quoted argument-file token (backslash and quote). */
    private static String quoted(String argument) {
        return argument.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Workers that already exited, with the tail of their log, for error messages. */
    String deadWorkers() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            if (!processes.get(i).isAlive()) {
                text.append("worker ")
                        .append(i)
                        .append(" exited with code ")
                        .append(processes.get(i).exitValue())
                        .append("; its log ")
                        .append(logs.get(i))
                        .append(" ends with:\n")
                        .append(tail(logs.get(i)));
            }
        }
        return text.toString();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size())) + "\n";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")\n";
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(3, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (sslArguments != null) {
            try {
                Files.deleteIfExists(sslArguments);
            } catch (IOException e) {
                // the log directory is the run's own; a leftover file there is readable only by this user
            }
        }
    }
}
