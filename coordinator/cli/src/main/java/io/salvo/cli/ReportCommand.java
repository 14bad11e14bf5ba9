package io.salvo.cli;

import io.salvo.benchmark.RunReportFiles;
import io.salvo.benchmark.RunReportFiles.UnreadableReportException;
import io.salvo.report.RunReport;
import io.salvo.report.html.HtmlReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = "Writes a run's JSON report (written by 'salvo run') as one self-contained HTML file that"
                + " opens offline: headline figures, charts over time, the percentile distribution, errors, re-slices.")
final class ReportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN.json", description = "A JSON run report.")
    Path json;

    @Option(
            names = "--out",
            paramLabel = "FILE",
            description = "Where to write the HTML (default: beside the JSON, RUN.html).")
    Path out;

    @Override
    public Integer call() {
        RunReport report;
        try {
            report = RunReportFiles.read(json);
        } catch (UnreadableReportException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        Path html = out != null ? out : HtmlReport.besideJson(json);
        try {
            HtmlReport.write(report, html);
        } catch (IOException e) {
            System.err.println("salvo: cannot write " + html + ": " + e);
            return RunExecution.FAILED;
        }
        System.out.println("HTML report: " + html);
        return RunExecution.OK;
    }
}
