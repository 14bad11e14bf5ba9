package io.salvo.cli;

import io.salvo.security.ClusterToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Worker processes that {@code salvo run} starts on this machine: separate JVMs on the same class
 * path, talking to the embedded coordinator over loopback gRPC exactly as remote workers would.
 * They watch this process and exit when it disappears, so even a killed CLI leaves no orphans.
 */
final class LocalWorkers implements AutoCloseable {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();

    /** The token reaches the workers through their environment, never their command line. */
    static LocalWorkers start(int count, String coordinator, ClusterToken token, Path logDir) throws IOException {
        LocalWorkers workers = new LocalWorkers();
        Files.createDirectories(logDir);
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("java.class.path");
        long parent = ProcessHandle.current().pid();
        for (int i = 0; i < count; i++) {
            Path log = logDir.resolve("worker-" + i + ".log");
            List<String> command = new ArrayList<>();
            // Own session: a Ctrl-C in the terminal reaches only the CLI, which stops the run in order
            // and lets the workers deliver their last interval before it closes them.
            if (Files.isExecutable(SETSID)) {
                command.add(SETSID.toString());
            }
            // MetaspaceSize: no full collection while a run's first second loads new classes.
            command.addAll(List.of(java, "-Xmx512m", "-XX:+UseParallelGC", "-XX:MetaspaceSize=64m", "-cp", classPath,
                    SalvoCli.class.getName(), "worker", "--coordinator", coordinator, "--id", "local-" + i,
                    "--region", "local", "--exit-with-parent", Long.toString(parent)));
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().put(ClusterToken.ENVIRONMENT_VARIABLE, token.reveal());
            Process process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            workers.processes.add(process);
            workers.logs.add(log);
        }
        return workers;
    }

    /** Workers that already exited, with the tail of their log, for error messages. */
    String deadWorkers() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            if (!processes.get(i).isAlive()) {
                text.append("worker ").append(i).append(" exited with code ").append(processes.get(i).exitValue())
                        .append("; its log ").append(logs.get(i)).append(" ends with:\n").append(tail(logs.get(i)));
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
    }
}
