package io.salvo.cli;

import io.salvo.benchmark.BenchmarkException;
import io.salvo.benchmark.ComparisonRuns;
import io.salvo.benchmark.ComparisonTables;
import io.salvo.benchmark.CoordinatorLoadRunner;
import io.salvo.benchmark.MatrixBenchmark;
import io.salvo.benchmark.PriceTable;
import io.salvo.benchmark.RunReportFiles.UnreadableReportException;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import io.salvo.plan.MatrixSpec;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs an experiment matrix for {@code salvo bench} and {@code salvo demo}: an embedded coordinator and one local
 * worker process, every cell through {@link MatrixBenchmark}, then the comparison tables ({@code tables.txt}) and the
 * HTML comparison ({@code compare.html}).
 */
final class BenchExecution {

    private final MatrixSpec matrix;
    private final PriceTable prices;
    private final Path modelServerJar;
    private final Path modelDir;
    private final Path outDir;
    private final boolean quiet;
    private final boolean keep;
    private final PrintStream out;
    private final PrintStream err;

    BenchExecution(
            MatrixSpec matrix,
            PriceTable prices,
            Path modelServerJar,
            Path modelDir,
            Path outDir,
            boolean quiet,
            boolean keep,
            PrintStream out,
            PrintStream err) {
        this.matrix = matrix;
        this.prices = prices;
        this.modelServerJar = modelServerJar;
        this.modelDir = modelDir;
        this.outDir = outDir;
        this.quiet = quiet;
        this.keep = keep;
        this.out = out;
        this.err = err;
    }

    // The local workers are in the try block only to live as long as the runs, which reach them over the network.
    @SuppressWarnings("try")
    int execute() {
        long started = System.nanoTime();
        MatrixBenchmark.Outcome outcome;
        ClusterToken token = ClusterToken.generate();
        try (CoordinatorServer server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
                LocalWorkers workers = LocalWorkers.start(
                        1,
                        "127.0.0.1:" + server.port(),
                        token,
                        outDir.resolve("runs").resolve("logs"));
                CoordinatorLoadRunner runner =
                        new CoordinatorLoadRunner("127.0.0.1", server.port(), token, Duration.ofSeconds(60))) {
            outcome = new MatrixBenchmark(
                            matrix,
                            prices,
                            MatrixBenchmark.REGISTERED,
                            runner,
                            modelServerJar,
                            modelDir,
                            outDir,
                            out,
                            !quiet,
                            keep)
                    .run();
        } catch (BenchmarkException | IOException e) {
            err.println("salvo: " + matrix.name() + " failed: " + e.getMessage());
            return RunExecution.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("salvo: interrupted; the same command resumes from the first unfinished cell");
            return RunExecution.INTERRUPTED;
        }
        if (!outcome.records().isEmpty()) {
            String tables = ComparisonTables.render(outcome.records());
            out.println();
            out.print(tables);
            try {
                Files.writeString(outDir.resolve("tables.txt"), tables);
            } catch (IOException e) {
                err.println("salvo: could not write tables.txt: " + e.getMessage());
            }
            Path compareHtml = outDir.resolve("compare.html");
            try {
                HtmlReport.writeComparison(
                        "Salvo " + matrix.name() + ": " + outcome.records().size() + " runs",
                        ComparisonRuns.read(List.of(outDir)).runs(),
                        compareHtml);
                out.println("\nHTML comparison: " + compareHtml);
            } catch (IOException | UnreadableReportException e) {
                err.println("salvo: could not write compare.html: " + e.getMessage());
            }
        }
        out.printf(
                Locale.ROOT,
                "%n%s finished in %.0f s: %d cell(s) run, %d kept from before, %d failed. Records: %s/*.json"
                        + " (reprint with 'salvo compare %s'); run reports and .hlog files in %s%n",
                matrix.name(),
                (System.nanoTime() - started) / 1e9,
                matrix.cells().size() - outcome.kept() - outcome.failed().size(),
                outcome.kept(),
                outcome.failed().size(),
                outDir,
                outDir,
                outDir.resolve("runs"));
        for (Map.Entry<String, String> failed : outcome.failed().entrySet()) {
            err.println("salvo: cell " + failed.getKey() + " failed: " + failed.getValue());
        }
        return outcome.failed().isEmpty() ? RunExecution.OK : RunExecution.FAILED;
    }
}
