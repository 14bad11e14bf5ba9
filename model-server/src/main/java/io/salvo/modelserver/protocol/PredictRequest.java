package io.salvo.modelserver.protocol;

import java.util.List;

/**
 * A decoded {@code /predict} request: token ids per text for text encoders, feature rows for tabular models.
 *
 * @param tokenIds    one id sequence per text ([CLS] ... [SEP]); empty for tabular models
 * @param featureRows one row per example; empty for text models
 */
public record PredictRequest(List<long[]> tokenIds, List<float[]> featureRows) {}
