package io.salvo.benchmark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.benchmark.RunReportFiles.UnreadableReportException;
import io.salvo.report.RunReport;
import io.salvo.report.html.HtmlReport.LabelledRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The runs {@code salvo compare --html} puts side by side: benchmark run records (each with the run report it names,
 * labelled model · profile · experiment) and plain JSON run reports (labelled by the run's name), from files and from
 * folders holding them.
 */
public final class ComparisonRuns {

    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The benchmark records among the inputs (for the text tables) and every run to draw. */
    public record Found(List<ExperimentRecord> records, List<LabelledRun> runs) {}

    private ComparisonRuns() {}

    public static Found read(List<Path> paths) throws UnreadableReportException {
        List<ExperimentRecord> records = new ArrayList<>();
        List<LabelledRun> runs = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                for (Path file : jsonFilesIn(path)) {
                    add(file, tree(file), records, runs, false);
                }
            } else {
                add(path, tree(path), records, runs, true);
            }
        }
        return new Found(records, distinctLabels(runs));
    }

    private static void add(
            Path file, JsonNode node, List<ExperimentRecord> records, List<LabelledRun> runs, boolean named)
            throws UnreadableReportException {
        if (BenchmarkFiles.isRecord(node)) {
            ExperimentRecord record;
            try {
                record = JSON.treeToValue(node, ExperimentRecord.class);
            } catch (JsonProcessingException e) {
                throw new UnreadableReportException(
                        file + ": not a valid benchmark run record: " + e.getOriginalMessage(), e);
            }
            records.add(record);
            Path report = file.toAbsolutePath().getParent().resolve(record.runReport());
            String cost = record.cost() == null || record.cost().perMillion() == null
                    ? ""
                    : " \u00b7 est. " + ComparisonTables.cost(record) + "/1M (prices of "
                            + record.cost().pricesAsOf() + ")";
            runs.add(new LabelledRun(
                    record.model().name() + " \u00b7 " + record.profile() + " \u00b7 "
                            + record.experiment().fileName() + cost,
                    RunReportFiles.read(report)));
        } else if (RunReportFiles.isRunReport(node)) {
            RunReport report = RunReportFiles.read(file);
            String name = report.run().name() == null || report.run().name().isEmpty()
                    ? report.run().id()
                    : report.run().name();
            runs.add(new LabelledRun(name, report));
        } else if (named) {
            throw new UnreadableReportException(
                    file + ": neither a Salvo JSON run report nor a benchmark run record", null);
        }
    }

    /** Two runs of the same name get their run ids added, so every column can be told apart. */
    private static List<LabelledRun> distinctLabels(List<LabelledRun> runs) {
        Map<String, Integer> counts = new HashMap<>();
        runs.forEach(r -> counts.merge(r.label(), 1, Integer::sum));
        return runs.stream()
                .map(r -> counts.get(r.label()) > 1
                        ? new LabelledRun(r.label() + " (" + r.report().run().id() + ")", r.report())
                        : r)
                .toList();
    }

    private static List<Path> jsonFilesIn(Path dir) throws UnreadableReportException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UnreadableReportException(dir + ": cannot be listed: " + e, e);
        }
    }

    private static JsonNode tree(Path file) throws UnreadableReportException {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new UnreadableReportException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UnreadableReportException(
                    file + (Files.exists(file) ? ": cannot be read: " + e : ": no such file"), e);
        }
    }
}
