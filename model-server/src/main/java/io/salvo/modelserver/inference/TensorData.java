package io.salvo.modelserver.inference;

import java.util.Arrays;

/**
 * A named tensor in row-major order. {@code values} is a {@code float[]} for FP32, a {@code long[]} for INT64 and a
 * {@code String[]} for BYTES (UTF-8 text); its length is the product of {@code shape}.
 */
// ONNX Runtime takes and returns shapes as long[]; tensors are never compared or hashed, so equality by identity
// does no harm, and wrapping the shape would cost a copy per tensor per request.
@SuppressWarnings("ArrayRecordComponent")
public record TensorData(String name, Datatype datatype, long[] shape, Object values) {

    public TensorData {
        long expected = elementCount(shape);
        int actual = switch (datatype) {
            case FP32 -> ((float[]) values).length;
            case INT64 -> ((long[]) values).length;
            case BYTES -> ((String[]) values).length;
        };
        if (expected != actual) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape) + " ("
                    + expected + " elements) but " + actual + " values");
        }
    }

    public static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    public float[] floats() {
        return (float[]) values;
    }

    public long[] longs() {
        return (long[]) values;
    }

    public String[] strings() {
        return (String[]) values;
    }
}
