package io.salvo.cli;

import io.salvo.benchmark.BenchmarkFiles;
import io.salvo.benchmark.ComparisonRuns;
import io.salvo.benchmark.ComparisonTables;
import io.salvo.benchmark.ExperimentRecord;
import io.salvo.benchmark.RunReportFiles.UnreadableReportException;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Prints the benchmark comparison tables from saved benchmark run records"
                + " (<model>.<profile>.<experiment>.json, written by 'salvo demo'), or from folders holding them;"
                + " with --html, also draws those runs, or any JSON run reports, side by side in one HTML file.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "RUN.json|FOLDER", description = "Benchmark run records or folders.")
    List<Path> paths;

    @Option(
            names = "--html",
            paramLabel = "FILE",
            description =
                    "Also write the runs side by side as one self-contained HTML file (run reports accepted too).")
    Path html;

    @Override
    public Integer call() {
        if (html != null) {
            return compareInHtml();
        }
        List<ExperimentRecord> records;
        try {
            records = BenchmarkFiles.read(paths);
        } catch (IOException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (records.isEmpty()) {
            System.err.println("salvo: no benchmark run records in " + paths);
            return RunExecution.USER_ERROR;
        }
        System.out.print(ComparisonTables.render(records));
        return RunExecution.OK;
    }

    private int compareInHtml() {
        ComparisonRuns.Found found;
        try {
            found = ComparisonRuns.read(paths);
        } catch (UnreadableReportException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (found.runs().isEmpty()) {
            System.err.println("salvo: no run reports or benchmark run records in " + paths);
            return RunExecution.USER_ERROR;
        }
        if (!found.records().isEmpty()) {
            System.out.print(ComparisonTables.render(found.records()));
        }
        try {
            HtmlReport.writeComparison("Salvo: " + found.runs().size() + " runs compared", found.runs(), html);
        } catch (IOException e) {
            System.err.println("salvo: cannot write " + html + ": " + e);
            return RunExecution.FAILED;
        }
        System.out.println("HTML comparison: " + html);
        return RunExecution.OK;
    }
}
