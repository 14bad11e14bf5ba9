package io.salvo.cli;

import io.salvo.benchmark.PriceTable;
import io.salvo.benchmark.PriceTable.PriceTableException;
import io.salvo.plan.MatrixCell;
import io.salvo.plan.MatrixParser;
import io.salvo.plan.MatrixSpec;
import io.salvo.plan.PlanException;
import io.salvo.platform.local.LocalPlatformDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Runs an experiment matrix (YAML): every model x platform x configuration listed, each cell as deploy ->"
                    + " verified cold start -> run from zero instances (time to first response, time to steady state)"
                    + " -> warm run (warm P50/P95/P99) -> billed usage -> teardown; then prints the comparison tables"
                    + " with an estimated cost per million predictions.",
            "Resumable: finished cells are kept in the output folder, and the same command after an interruption"
                    + " runs only the others (a cell interrupted midway from its start).",
            "The matrix file format is in docs/user-guide.md (salvo bench); 'salvo platforms' lists the drivers."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every cell finished",
            "1:a cell failed (the others ran; resuming runs it again)",
            "2:the matrix or the command line is invalid (nothing was deployed)",
            "130:interrupted; finished cells are kept"
        })
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MATRIX.yaml", description = "The experiment matrix.")
    Path matrixFile;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Output folder, also where an interrupted matrix resumes (default: salvo-results/<matrix name>).")
    Path out;

    @Option(
            names = "--fresh",
            description = "Forget the cells finished in the output folder before, and run every cell again.")
    boolean fresh;

    @Option(
            names = "--prices",
            paramLabel = "FILE",
            description = "Price table for the cost estimates (default: the matrix's 'prices', else the built-in one).")
    Path pricesFile;

    @Option(
            names = "--keep",
            description = "Leave each cell's deployment in place after its runs (tear it down with 'salvo teardown')."
                    + " The local platform's instances end with this process all the same.")
    boolean keep;

    @Option(
            names = "--model-server-jar",
            description = "The model-server jar for local cells and model facts (default: $SALVO_MODEL_SERVER_JAR,"
                    + " else model-server/target/salvo-model-server.jar of this checkout).")
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
        MatrixSpec matrix;
        try {
            matrix = MatrixParser.parse(matrixFile);
        } catch (PlanException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        Path jar = modelServerJar != null ? modelServerJar : DemoCommand.findModelServerJar();
        boolean anyLocal = matrix.cells().stream().anyMatch(c -> LocalPlatformDriver.NAME.equals(c.platform()));
        if (jar != null && !Files.isRegularFile(jar)) {
            if (anyLocal) {
                System.err.println("salvo: the model-server jar was not found at " + jar + "; local cells need it:"
                        + " build it with 'mvn -B -q -DskipTests package -pl model-server -am' or pass"
                        + " --model-server-jar");
                return RunExecution.USER_ERROR;
            }
            jar = null;
        }
        matrix = withLocalDefaults(matrix, jar);
        try {
            MatrixParser.checkDrivers(matrix);
        } catch (PlanException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        PriceTable prices;
        try {
            Path table = pricesFile != null ? pricesFile : matrix.prices();
            prices = (table == null ? PriceTable.builtIn() : PriceTable.read(table))
                    .withPlanPrices(
                            matrix.cells().stream().map(MatrixCell::config).toList());
        } catch (PriceTableException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        Path outDir = out != null ? out : Path.of("salvo-results", matrix.name());
        if (fresh) {
            try {
                forgetFinishedCells(outDir);
            } catch (IOException e) {
                System.err.println("salvo: cannot clear " + outDir.resolve("cells") + ": " + e.getMessage());
                return RunExecution.FAILED;
            }
        }
        System.out.printf(
                "Salvo bench: %s, %d cell(s) (%s); prices: %s price table of %s. Results: %s%n",
                matrix.name(),
                matrix.cells().size(),
                String.join(", ", matrix.cells().stream().map(MatrixCell::id).toList()),
                prices.name(),
                prices.asOf(),
                outDir.toAbsolutePath());
        return new BenchExecution(matrix, prices, jar, modelDir, outDir, quiet, keep, System.out, System.err).execute();
    }

    /** Local cells get the model-server jar and model cache of this command where the matrix names none. */
    private MatrixSpec withLocalDefaults(MatrixSpec matrix, Path jar) {
        Map<String, String> defaults = new LinkedHashMap<>();
        if (jar != null) {
            defaults.put("model-server-jar", jar.toString());
        }
        if (modelDir != null) {
            defaults.put("model-dir", modelDir.toString());
        }
        List<MatrixCell> cells = matrix.cells().stream()
                .map(c -> LocalPlatformDriver.NAME.equals(c.platform()) ? c.withConfigDefaults(defaults) : c)
                .toList();
        return new MatrixSpec(matrix.name(), matrix.file(), matrix.prices(), matrix.bodies(), cells);
    }

    private static void forgetFinishedCells(Path outDir) throws IOException {
        Path cells = outDir.resolve("cells");
        if (!Files.isDirectory(cells)) {
            return;
        }
        try (Stream<Path> files = Files.walk(cells)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
