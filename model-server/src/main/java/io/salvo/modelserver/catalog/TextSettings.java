package io.salvo.modelserver.catalog;

/**
 * How a text encoder is fed: texts longer than {@code maxTokens} (counting [CLS] and [SEP]) are rejected with 400
 * unless the request asks for truncation; ids must be below {@code vocabulary}; token types below {@code tokenTypes}.
 *
 * @param maxTokens   longest accepted token sequence, special tokens included
 * @param vocabulary  size of the word embedding table
 * @param tokenTypes  size of the token-type table (0 when the model has no {@code token_type_ids} input)
 * @param maxPositions size of the position table, the hard limit for {@code /infer} sequence lengths
 */
public record TextSettings(int maxTokens, int vocabulary, int tokenTypes, int maxPositions) {}
