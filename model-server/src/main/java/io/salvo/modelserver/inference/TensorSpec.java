package io.salvo.modelserver.inference;

/**
 * What a model input or output looks like: protocol datatype name (may be one this server cannot carry) and shape,
 * -1 for a dynamic dimension.
 */
// ONNX Runtime reports shapes as long[] and callers read them element by element; specs are never compared or
// hashed, so equality by identity does no harm.
@SuppressWarnings("ArrayRecordComponent")
public record TensorSpec(String name, String datatype, long[] shape) {}
