package io.salvo.modelserver.catalog;

import java.util.Optional;

/**
 * One model the server can serve.
 *
 * @param name        the name in URLs and in {@code SALVO_MODEL}
 * @param description one line for {@code models list}
 * @param kind        what the model consumes
 * @param synthetic   true when the weights are random: the outputs are meaningless, only cost and shape are real
 * @param text        tokenization limits, present for text encoders
 * @param preparer    how to produce the model's files
 */
public record ModelDescriptor(
        String name,
        String description,
        ModelKind kind,
        boolean synthetic,
        Optional<TextSettings> text,
        ModelPreparer preparer) {}
