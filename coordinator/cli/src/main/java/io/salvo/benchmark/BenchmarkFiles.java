package io.salvo.benchmark;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads and writes benchmark run records ({@link ExperimentRecord}) as JSON. */
public final class BenchmarkFiles {

    /** Newer records may carry fields this version does not know; they are ignored, not fatal. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private BenchmarkFiles() {}

    /** {@code <model>.<profile>.<experiment>.json}. */
    public static String fileName(ExperimentRecord record) {
        return record.model().name() + "." + record.profile() + "."
                + record.experiment().fileName() + ".json";
    }

    /** Writes atomically, so an interrupted demo never leaves a half-written record for compare to trip on. */
    public static Path write(ExperimentRecord record, Path dir) throws IOException {
        Path path = dir.resolve(fileName(record));
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), record);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return path;
    }

    /**
     * Reads records from files and folders (a folder contributes every benchmark record directly inside it; other
     * JSON files there, such as plain run reports, are skipped).
     *
     * @throws IOException naming the file when a named file is not a benchmark run record
     */
    public static List<ExperimentRecord> read(List<Path> paths) throws IOException {
        List<ExperimentRecord> records = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.list(path)) {
                    List<ExperimentRecord> inFolder = new ArrayList<>();
                    for (Path file : files.filter(
                                    f -> f.getFileName().toString().endsWith(".json"))
                            .sorted()
                            .toList()) {
                        JsonNode node = JSON.readTree(file.toFile());
                        if (isRecord(node)) {
                            inFolder.add(JSON.treeToValue(node, ExperimentRecord.class));
                        }
                    }
                    records.addAll(inMatrixOrder(path, inFolder));
                }
            } else {
                JsonNode node = JSON.readTree(path.toFile());
                if (!isRecord(node)) {
                    throw new IOException(path + ": not a Salvo benchmark run record (written by 'salvo demo':"
                            + " <model>.<profile>.<experiment>.json)");
                }
                records.add(JSON.treeToValue(node, ExperimentRecord.class));
            }
        }
        return records;
    }

    /** Where a matrix lists its cells in table order, so compare prints the tables the matrix printed. */
    static final String CELL_ORDER = "cells/order.txt";

    /** The folder's records in its matrix's cell order when it has one (records of unlisted cells last). */
    static List<ExperimentRecord> inMatrixOrder(Path dir, List<ExperimentRecord> records) throws IOException {
        Path order = dir.resolve(CELL_ORDER);
        if (!Files.isRegularFile(order)) {
            return records;
        }
        List<String> cells = Files.readAllLines(order);
        List<ExperimentRecord> sorted = new ArrayList<>(records);
        sorted.sort(java.util.Comparator.comparingInt((ExperimentRecord r) -> {
                    int i = r.cell() == null ? -1 : cells.indexOf(r.cell());
                    return i < 0 ? Integer.MAX_VALUE : i;
                })
                .thenComparing(r -> r.experiment() == ExperimentRecord.Experiment.COLD_START ? 0 : 1));
        return sorted;
    }

    static boolean isRecord(JsonNode node) {
        return node != null && node.isObject() && node.has("experiment") && node.has("measured") && node.has("model");
    }
}
