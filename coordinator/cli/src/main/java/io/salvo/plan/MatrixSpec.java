package io.salvo.plan;

import java.nio.file.Path;
import java.util.List;

/**
 * An experiment matrix: models × platforms × configurations, one {@link MatrixCell} each, in table order (models
 * outer, platform columns inner).
 *
 * @param name   the matrix's name
 * @param file   where it was read from (for messages)
 * @param prices a price table file to use instead of the built-in one; null for the built-in one
 * @param bodies a file of request bodies (one JSON document per line); null for the built-in sentences
 * @param cells  every cell, in run order
 */
public record MatrixSpec(String name, String file, Path prices, Path bodies, List<MatrixCell> cells) {

    public MatrixSpec {
        cells = List.copyOf(cells);
    }
}
