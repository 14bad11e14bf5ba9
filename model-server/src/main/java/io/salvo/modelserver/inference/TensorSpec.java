package io.salvo.modelserver.inference;

/**
 * What a model input or output looks like: protocol datatype name (may be one this server cannot carry) and shape,
 * -1 for a dynamic dimension.
 */
public record TensorSpec(String name, String datatype, long[] shape) {}
