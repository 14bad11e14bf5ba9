package io.salvo.cli;

import io.salvo.benchmark.BenchmarkException;
import io.salvo.benchmark.BenchmarkSettings;
import io.salvo.benchmark.ComparisonRuns;
import io.salvo.benchmark.ComparisonTables;
import io.salvo.benchmark.CoordinatorLoadRunner;
import io.salvo.benchmark.ExperimentRecord;
import io.salvo.benchmark.LocalBenchmark;
import io.salvo.benchmark.RunReportFiles.UnreadableReportException;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "The whole benchmark on this machine: prepares the models, starts the local serverless platform"
                    + " (emulated lambda-like, cloud-run-like and k8s-like profiles), and for minilm, distilbert-shape and"
                    + " bert-base-shape measures warm-start latency, time to first response from zero instances and time"
                    + " to steady state, each run through an embedded coordinator and a local worker process; then prints"
                    + " the comparison tables. About 7 minutes on 2 cores; --quick about 1.5 minutes.",
            "Needs model-server/target/salvo-model-server.jar (./salvo builds it)."
        })
final class DemoCommand implements Callable<Integer> {

    @Option(
            names = "--quick",
            description = "tiny-bert-shape and minilm on lambda-like and cloud-run-like, short runs"
                    + " (leaves out distilbert-shape, bert-base-shape and k8s-like).")
    boolean quick;

    @Option(names = "--out", description = "Output folder (default: salvo-results/demo-<date-time>).")
    Path out;

    @Option(
            names = "--model-server-jar",
            description = "The model-server jar (default: $SALVO_MODEL_SERVER_JAR, else"
                    + " model-server/target/salvo-model-server.jar of this checkout).")
    Path modelServerJar;

    @Option(names = "--model-dir", description = "Model cache (default: the model-server's, ~/.cache/salvo/models).")
    Path modelDir;

    @Option(
            names = {"-q", "--quiet"},
            description = "No per-interval lines while runs are going.")
    boolean quiet;

    @Override
    // The local workers are in the try block only to live as long as the runs, which reach them over the network.
    @SuppressWarnings("try")
    public Integer call() {
        SalvoCli.logLevel(Level.WARNING);
        Path jar = modelServerJar != null ? modelServerJar : findModelServerJar();
        if (jar == null || !Files.isRegularFile(jar)) {
            System.err.println("salvo: the model-server jar was not found" + (jar == null ? "" : " at " + jar)
                    + "; build it with 'mvn -B -q -DskipTests package -pl model-server -am' (./salvo does) or pass"
                    + " --model-server-jar");
            return RunExecution.USER_ERROR;
        }
        Path outDir = out != null
                ? out
                : Path.of(
                        "salvo-results",
                        "demo-"
                                + LocalDateTime.now(ZoneId.systemDefault())
                                        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        BenchmarkSettings settings = quick ? BenchmarkSettings.quick() : BenchmarkSettings.full();
        long started = System.nanoTime();
        System.out.println("Salvo demo: the local benchmark" + (quick ? " (quick)" : "") + ". The platforms are local"
                + " EMULATIONS of AWS Lambda, Google Cloud Run and Kubernetes scaling rules, running model-server"
                + " processes on this machine.");
        if (settings.isReduced()) {
            System.out.println("Note: " + settings.leftOut() + ".");
        }
        System.out.println("Results: " + outDir.toAbsolutePath());
        List<ExperimentRecord> records;
        ClusterToken token = ClusterToken.generate();
        try (CoordinatorServer server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
                LocalWorkers workers = LocalWorkers.start(
                        1,
                        "127.0.0.1:" + server.port(),
                        token,
                        outDir.resolve("runs").resolve("logs"));
                CoordinatorLoadRunner runner =
                        new CoordinatorLoadRunner("127.0.0.1", server.port(), token, Duration.ofSeconds(60))) {
            records = new LocalBenchmark(settings, runner, jar, modelDir, outDir, System.out, !quiet).run();
        } catch (BenchmarkException e) {
            System.err.println("salvo: demo failed: " + e.getMessage());
            return RunExecution.FAILED;
        } catch (IOException e) {
            System.err.println("salvo: demo failed: " + e.getMessage());
            return RunExecution.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("salvo: demo interrupted");
            return RunExecution.INTERRUPTED;
        }
        String tables = ComparisonTables.render(records);
        System.out.println();
        System.out.print(tables);
        try {
            Files.writeString(outDir.resolve("tables.txt"), tables);
        } catch (IOException e) {
            System.err.println("salvo: could not write tables.txt: " + e.getMessage());
        }
        Path compareHtml = outDir.resolve("compare.html");
        try {
            HtmlReport.writeComparison(
                    "Salvo demo: " + records.size() + " runs",
                    ComparisonRuns.read(List.of(outDir)).runs(),
                    compareHtml);
            System.out.println("\nHTML comparison: " + compareHtml);
        } catch (IOException | UnreadableReportException e) {
            System.err.println("salvo: could not write compare.html: " + e.getMessage());
        }
        System.out.printf(
                Locale.ROOT,
                "%nDemo finished in %.0f s. Records: %s/*.json (reprint with 'salvo compare %s');"
                        + " full run reports (.json, .html) and .hlog files in %s%n",
                (System.nanoTime() - started) / 1e9,
                outDir,
                outDir,
                outDir.resolve("runs"));
        return RunExecution.OK;
    }

    /** $SALVO_MODEL_SERVER_JAR, else next to this checkout's coordinator jar or classes, else the working folder. */
    static Path findModelServerJar() {
        String fromEnvironment = System.getenv("SALVO_MODEL_SERVER_JAR");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Path.of(fromEnvironment);
        }
        List<Path> candidates = new ArrayList<>();
        try {
            // coordinator/cli/target/salvo.jar or coordinator/cli/target/classes: the checkout root is four levels up.
            Path code = Path.of(DemoCommand.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            Path root = code;
            for (int up = 0; up < 4 && root != null; up++) {
                root = root.getParent();
            }
            if (root != null) {
                candidates.add(root.resolve("model-server/target/salvo-model-server.jar"));
            }
        } catch (URISyntaxException | RuntimeException e) {
            // No code source location (unusual class loader): the working folder is still tried.
        }
        candidates.add(Path.of("model-server/target/salvo-model-server.jar"));
        candidates.add(Path.of("../../model-server/target/salvo-model-server.jar"));
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(candidates.get(0));
    }
}
