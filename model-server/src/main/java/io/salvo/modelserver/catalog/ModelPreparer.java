package io.salvo.modelserver.catalog;

import java.io.IOException;
import java.nio.file.Path;

/** Writes a model's files ({@link ModelStore#MODEL_FILE} and, by kind, the tokenizer or label list) into an empty directory. */
@FunctionalInterface
public interface ModelPreparer {
    void prepareInto(Path emptyDirectory) throws IOException;
}
