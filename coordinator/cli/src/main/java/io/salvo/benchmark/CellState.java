package io.salvo.benchmark;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A finished matrix cell, as {@code cells/<cell-id>.json} in the output folder: written (atomically) only after both
 * of the cell's records, so its presence means the cell needs no re-run. A cell interrupted midway has none and is
 * run again from its start; a cell whose definition changed ({@code fingerprint}) is run again too.
 *
 * @param cell        the cell's id, {@code <model>.<column>}
 * @param fingerprint {@code MatrixCell.fingerprint()} when it ran
 * @param finishedAt  ISO-8601 instant
 * @param records     its benchmark record files, relative to the output folder
 */
public record CellState(
        @JsonProperty("cell") String cell,
        @JsonProperty("fingerprint") String fingerprint,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("records") List<String> records) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static Path file(Path outDir, String cellId) {
        return outDir.resolve("cells").resolve(cellId + ".json");
    }

    /** The state of a finished cell, or null when it has none (or an unreadable one: then it runs again). */
    static CellState read(Path outDir, String cellId) {
        Path file = file(outDir, cellId);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), CellState.class);
        } catch (IOException e) {
            return null;
        }
    }

    void write(Path outDir) throws IOException {
        Path file = file(outDir, cell);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
