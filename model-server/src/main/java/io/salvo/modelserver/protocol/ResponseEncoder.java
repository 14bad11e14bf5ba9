package io.salvo.modelserver.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.inference.TensorData;
import io.salvo.modelserver.inference.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** Writes Open Inference Protocol response bodies (JSON, UTF-8). Stateless and thread-safe. */
public final class ResponseEncoder {

    public static final String MODEL_VERSION = "1";

    // Schubfach float formatting: large FP32 outputs (hidden states) are the costliest part of a response
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .build();

    private ResponseEncoder() {}

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] json(Body body) {
        return json(256, body);
    }

    /** @param expectedBytes a guess at the body's size, so large bodies are not copied over and over while they grow */
    private static byte[] json(int expectedBytes, Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(expectedBytes);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Shortest round-trip FP32 text is up to 15 characters plus a comma; most hidden-state values take 11 to 13. */
    private static int expectedSize(long numbers) {
        return (int) Math.min(Integer.MAX_VALUE - 64, 256 + 13 * numbers);
    }

    public static byte[] error(String message) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("error", message);
            json.writeEndObject();
        });
    }

    public static byte[] flag(String name, boolean value) {
        return json(json -> {
            json.writeStartObject();
            json.writeBooleanField(name, value);
            json.writeEndObject();
        });
    }

    public static byte[] serverMetadata(String version) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("name", "salvo-model-server");
            json.writeStringField("version", version);
            json.writeArrayFieldStart("extensions");
            json.writeString("salvo-predict");
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    public static byte[] modelMetadata(LoadedModel model) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("name", model.descriptor().name());
            json.writeArrayFieldStart("versions");
            json.writeString(MODEL_VERSION);
            json.writeEndArray();
            json.writeStringField("platform", "onnxruntime_onnx");
            writeSpecs(json, "inputs", model.inputs());
            writeSpecs(json, "outputs", model.outputs());
            json.writeEndObject();
        });
    }

    private static void writeSpecs(JsonGenerator json, String field, List<TensorSpec> specs) throws IOException {
        json.writeArrayFieldStart(field);
        for (TensorSpec spec : specs) {
            json.writeStartObject();
            json.writeStringField("name", spec.name());
            json.writeStringField("datatype", spec.datatype());
            json.writeArrayFieldStart("shape");
            for (long dim : spec.shape()) {
                json.writeNumber(dim);
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    /**
     * An {@code /infer} response body. With binary outputs (binary tensor data extension) the body is the JSON header
     * followed by each binary output's raw bytes, in output order; {@code headerLength} is the JSON header's length,
     * sent as {@code Inference-Header-Content-Length}. Without binary outputs it equals the body's length.
     */
    // handed to one transport and never compared, hashed or copied
    @SuppressWarnings("ArrayRecordComponent")
    public record InferBody(byte[] body, int headerLength, boolean hasBinaryData) {}

    /**
     * Encodes the outputs of one inference as an {@code /infer} response body.
     *
     * @param binary which outputs go out as raw little-endian bytes instead of JSON numbers
     */
    public static InferBody inferResponse(
            String modelName, Optional<String> id, List<TensorData> outputs, Predicate<String> binary) {
        long jsonElements = 0;
        long binaryBytes = 0;
        boolean anyBinary = false;
        long[] sizes = new long[outputs.size()];
        for (int i = 0; i < outputs.size(); i++) {
            TensorData output = outputs.get(i);
            if (binary.test(output.name())) {
                sizes[i] = binarySize(output);
                binaryBytes += sizes[i];
                anyBinary = true;
            } else {
                sizes[i] = -1;
                jsonElements += TensorData.elementCount(output.shape());
            }
        }
        byte[] header = json(expectedSize(jsonElements), json -> {
            json.writeStartObject();
            json.writeStringField("model_name", modelName);
            json.writeStringField("model_version", MODEL_VERSION);
            if (id.isPresent()) {
                json.writeStringField("id", id.get());
            }
            json.writeArrayFieldStart("outputs");
            for (int i = 0; i < outputs.size(); i++) {
                TensorData output = outputs.get(i);
                json.writeStartObject();
                json.writeStringField("name", output.name());
                json.writeStringField("datatype", output.datatype().name());
                json.writeArrayFieldStart("shape");
                for (long dim : output.shape()) {
                    json.writeNumber(dim);
                }
                json.writeEndArray();
                if (sizes[i] >= 0) {
                    json.writeObjectFieldStart("parameters");
                    json.writeNumberField("binary_data_size", sizes[i]);
                    json.writeEndObject();
                } else {
                    writeData(json, output);
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
        if (!anyBinary) {
            return new InferBody(header, header.length, false);
        }
        if (header.length + binaryBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalStateException("binary outputs of " + binaryBytes + " bytes do not fit in one response");
        }
        byte[] body = Arrays.copyOf(header, (int) (header.length + binaryBytes));
        ByteBuffer out = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).position(header.length);
        for (int i = 0; i < outputs.size(); i++) {
            if (sizes[i] >= 0) {
                writeBinary(out, outputs.get(i));
            }
        }
        return new InferBody(body, header.length, true);
    }

    private static void writeData(JsonGenerator json, TensorData output) throws IOException {
        json.writeArrayFieldStart("data");
        switch (output.datatype()) {
            case FP32 -> {
                for (float v : output.floats()) {
                    json.writeNumber(v);
                }
            }
            case INT64 -> {
                for (long v : output.longs()) {
                    json.writeNumber(v);
                }
            }
            case BYTES -> {
                for (String v : output.strings()) {
                    json.writeString(v);
                }
            }
        }
        json.writeEndArray();
    }

    /** Bytes of a tensor in the binary tensor data format: native element size; BYTES as 4-byte length + UTF-8. */
    private static long binarySize(TensorData output) {
        return switch (output.datatype()) {
            case FP32 -> (long) Float.BYTES * output.floats().length;
            case INT64 -> (long) Long.BYTES * output.longs().length;
            case BYTES -> {
                long size = 0;
                for (String v : output.strings()) {
                    size += Integer.BYTES + v.getBytes(StandardCharsets.UTF_8).length;
                }
                yield size;
            }
        };
    }

    private static void writeBinary(ByteBuffer out, TensorData output) {
        switch (output.datatype()) {
            case FP32 -> {
                out.asFloatBuffer().put(output.floats());
                out.position(out.position() + Float.BYTES * output.floats().length);
            }
            case INT64 -> {
                out.asLongBuffer().put(output.longs());
                out.position(out.position() + Long.BYTES * output.longs().length);
            }
            case BYTES -> {
                for (String v : output.strings()) {
                    byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
                    out.putInt(utf8.length).put(utf8);
                }
            }
        }
    }

    /** {@code /predict} for text encoders: one unit-length embedding per text and each text's token count. */
    public static byte[] embeddings(String modelName, float[][] embeddings, int[] tokenCounts) {
        return json(
                expectedSize((long) embeddings.length * (embeddings.length == 0 ? 0 : embeddings[0].length)), json -> {
                    json.writeStartObject();
                    json.writeStringField("model_name", modelName);
                    json.writeStringField("model_version", MODEL_VERSION);
                    json.writeArrayFieldStart("predictions");
                    for (float[] embedding : embeddings) {
                        json.writeStartArray();
                        for (float v : embedding) {
                            json.writeNumber(v);
                        }
                        json.writeEndArray();
                    }
                    json.writeEndArray();
                    json.writeArrayFieldStart("token_counts");
                    for (int count : tokenCounts) {
                        json.writeNumber(count);
                    }
                    json.writeEndArray();
                    json.writeEndObject();
                });
    }

    /** {@code /predict} for classifiers: class probabilities per row, the most likely label, and the label order. */
    public static byte[] classifications(String modelName, List<String> labels, float[][] probabilities) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("model_name", modelName);
            json.writeStringField("model_version", MODEL_VERSION);
            json.writeArrayFieldStart("labels");
            for (String label : labels) {
                json.writeString(label);
            }
            json.writeEndArray();
            json.writeArrayFieldStart("predictions");
            for (float[] row : probabilities) {
                int best = 0;
                json.writeStartObject();
                json.writeArrayFieldStart("probabilities");
                for (int i = 0; i < row.length; i++) {
                    json.writeNumber(row[i]);
                    if (row[i] > row[best]) {
                        best = i;
                    }
                }
                json.writeEndArray();
                json.writeStringField("label", best < labels.size() ? labels.get(best) : Integer.toString(best));
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    /** Health bodies carry their reason so a 503 readiness answer explains itself. */
    public static byte[] readiness(boolean ready, Map<String, Object> details) {
        return json(json -> {
            json.writeStartObject();
            json.writeBooleanField("ready", ready);
            for (Map.Entry<String, Object> entry : details.entrySet()) {
                json.writeStringField(entry.getKey(), String.valueOf(entry.getValue()));
            }
            json.writeEndObject();
        });
    }
}
