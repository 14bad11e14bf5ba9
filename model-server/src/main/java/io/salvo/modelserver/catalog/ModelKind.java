package io.salvo.modelserver.catalog;

/** What a model consumes, which decides what {@code /predict} accepts. */
public enum ModelKind {
    /** A transformer encoder over WordPiece token ids; {@code /predict} takes texts and returns sentence embeddings. */
    TEXT_ENCODER,
    /** A classifier over a fixed number of numeric features; {@code /predict} takes rows and returns class probabilities. */
    TABULAR_CLASSIFIER
}
