package io.salvo.cli;

import io.salvo.benchmark.BenchmarkSettings;
import io.salvo.benchmark.PriceTable;
import io.salvo.plan.MatrixSpec;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
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
                    + " the comparison tables with an estimated cost per million predictions. About 7 minutes on 2"
                    + " cores; --quick about 1.5 minutes.",
            "It is 'salvo bench' with a built-in matrix of local profiles: re-run with the same --out to resume"
                    + " after an interruption.",
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
        System.out.println("Salvo demo: the local benchmark" + (quick ? " (quick)" : "") + ". The platforms are local"
                + " EMULATIONS of AWS Lambda, Google Cloud Run and Kubernetes scaling rules, running model-server"
                + " processes on this machine.");
        if (settings.isReduced()) {
            System.out.println("Note: " + settings.leftOut() + ".");
        }
        System.out.println("Results: " + outDir.toAbsolutePath());
        MatrixSpec matrix = settings.toMatrix(quick ? "demo --quick" : "demo", jar, modelDir);
        return new BenchExecution(
                        matrix, PriceTable.builtIn(), jar, modelDir, outDir, quiet, false, System.out, System.err)
                .execute();
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
