package io.salvo.modelserver.inference;

import ai.onnxruntime.OnnxJavaType;
import java.util.Optional;

/** Open Inference Protocol tensor datatypes this server can carry, and their ONNX Runtime counterparts. */
public enum Datatype {
    FP32,
    INT64,
    BYTES;

    /** The protocol datatype of an ONNX Runtime element type, if this server can carry it. */
    public static Optional<Datatype> of(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> Optional.of(FP32);
            case INT64 -> Optional.of(INT64);
            case STRING -> Optional.of(BYTES);
            default -> Optional.empty();
        };
    }

    /** The protocol name of an element type this server cannot carry, for metadata and error messages. */
    public static String protocolName(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> "FP32";
            case DOUBLE -> "FP64";
            case INT8 -> "INT8";
            case INT16 -> "INT16";
            case INT32 -> "INT32";
            case INT64 -> "INT64";
            case UINT8 -> "UINT8";
            case BOOL -> "BOOL";
            case STRING -> "BYTES";
            case FLOAT16 -> "FP16";
            case BFLOAT16 -> "BF16";
            default -> type.name();
        };
    }
}
