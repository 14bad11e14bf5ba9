package io.salvo.benchmark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.report.ReportFiles;
import io.salvo.report.RunReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads JSON run reports back for rendering, with a message naming the file when one is not such a report. */
public final class RunReportFiles {

    private RunReportFiles() {}

    /** A file that is missing, unreadable, not JSON, not a run report, or of another schema version. */
    public static final class UnreadableReportException extends Exception {
        private static final long serialVersionUID = 1L;

        UnreadableReportException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Whether a parsed JSON document has the shape of a run report (of any schema version). */
    public static boolean isRunReport(JsonNode node) {
        return node != null && node.isObject() && node.has("schema_version") && node.has("run") && node.has("totals");
    }

    /**
     * Reads a run report of schema version {@value RunReport#SCHEMA_VERSION}. Properties this version does not know
     * are ignored: a report from a newer Salvo that only added fields still renders.
     */
    public static RunReport read(Path path) throws UnreadableReportException {
        JsonNode node;
        try {
            node = ReportFiles.json().readTree(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            throw new UnreadableReportException(path + ": no such file", e);
        } catch (JsonProcessingException e) {
            throw new UnreadableReportException(
                    path + ": not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage() + ")",
                    e);
        } catch (IOException e) {
            throw new UnreadableReportException(path + ": cannot be read: " + e, e);
        }
        if (!isRunReport(node)) {
            throw new UnreadableReportException(
                    path + ": not a Salvo JSON run report (no schema_version, run and totals; 'salvo run' writes"
                            + " <run-id>.json)",
                    null);
        }
        int version = node.get("schema_version").asInt(-1);
        if (version != RunReport.SCHEMA_VERSION) {
            throw new UnreadableReportException(
                    path + ": schema_version " + node.get("schema_version") + ", but this salvo reads "
                            + RunReport.SCHEMA_VERSION,
                    null);
        }
        try {
            return ReportFiles.json()
                    .readerFor(RunReport.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(node);
        } catch (JsonProcessingException e) {
            throw new UnreadableReportException(path + ": not a valid run report: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UnreadableReportException(path + ": not a valid run report: " + e, e);
        }
    }
}
