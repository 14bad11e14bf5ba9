package io.salvo.modelserver.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.modelserver.catalog.ModelKind;
import io.salvo.modelserver.catalog.TextSettings;
import io.salvo.modelserver.inference.Datatype;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.inference.TensorData;
import io.salvo.modelserver.inference.TensorSpec;
import io.salvo.modelserver.inference.TextPipeline;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns request bodies into validated inputs for one loaded model. Every client mistake becomes a
 * {@link ProtocolException} with status 400 naming the field and the problem, so nothing invalid reaches ONNX
 * Runtime (where it would surface as an opaque native error).
 */
public final class RequestDecoder {

    /** The name of the BYTES input text encoders accept in {@code /infer} instead of token ids. */
    public static final String TEXT_INPUT = "text";

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final LoadedModel model;
    private final Optional<TextSettings> text;
    private final int maxBatch;

    public RequestDecoder(LoadedModel model, int maxBatch) {
        this.model = model;
        this.text = model.descriptor().text();
        this.maxBatch = maxBatch;
    }

    public InferRequest decodeInfer(byte[] body) {
        JsonNode root = parseObject(body);
        Optional<String> id = root.hasNonNull("id") ? Optional.of(root.get("id").asText()) : Optional.empty();
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw ProtocolException.badRequest("'inputs' must be a non-empty array of tensors");
        }
        Map<String, TensorData> decoded = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            TensorData tensor = decodeTensor(inputs.get(i), "inputs[" + i + "]");
            if (decoded.put(tensor.name(), tensor) != null) {
                throw ProtocolException.badRequest("input '" + tensor.name() + "' is given twice");
            }
        }
        Map<String, Boolean> binaryByOutput = new HashMap<>();
        Set<String> requestedOutputs = decodeRequestedOutputs(root.get("outputs"), binaryByOutput);
        boolean binaryByDefault = booleanParameter(root, "binary_data_output", "request");

        InferRequest request = text.isPresent() && decoded.containsKey(TEXT_INPUT)
                ? decodeTextInfer(id, decoded, requestedOutputs)
                : validated(id, decoded, requestedOutputs);
        return new InferRequest(
                request.id(),
                request.inputs(),
                request.requestedOutputs(),
                request.texts(),
                binaryByDefault,
                binaryByOutput);
    }

    private InferRequest validated(Optional<String> id, Map<String, TensorData> decoded, Set<String> requestedOutputs) {
        validateAgainstModel(decoded);
        return new InferRequest(id, List.copyOf(decoded.values()), requestedOutputs, Optional.empty());
    }

    /** An optional boolean in {@code node.parameters}; false when absent. */
    private static boolean booleanParameter(JsonNode node, String name, String where) {
        JsonNode parameters = node.get("parameters");
        if (parameters == null || parameters.isNull()) {
            return false;
        }
        if (!parameters.isObject()) {
            throw ProtocolException.badRequest(where + " 'parameters' must be an object");
        }
        JsonNode value = parameters.get(name);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw ProtocolException.badRequest(
                    where + " parameter '" + name + "' must be true or false, got " + describe(value));
        }
        return value.booleanValue();
    }

    public PredictRequest decodePredict(byte[] body) {
        JsonNode root = parseObject(body);
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw ProtocolException.badRequest(
                    model.descriptor().kind() == ModelKind.TEXT_ENCODER
                            ? "'inputs' must be a non-empty array of strings"
                            : "'inputs' must be a non-empty array of feature rows");
        }
        checkBatch(inputs.size(), "'inputs'");
        if (model.descriptor().kind() == ModelKind.TEXT_ENCODER) {
            boolean truncate = root.path("parameters").path("truncate").asBoolean(false);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                JsonNode item = inputs.get(i);
                if (!item.isTextual()) {
                    throw ProtocolException.badRequest("inputs[" + i + "] must be a string, got " + describe(item));
                }
                texts.add(item.asText());
            }
            return new PredictRequest(tokenize(texts, truncate, "inputs"), List.of());
        }
        int features = featureCount();
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode row = inputs.get(i);
            if (!row.isArray() || row.size() != features) {
                throw ProtocolException.badRequest(
                        "inputs[" + i + "] must be an array of " + features + " numbers, got " + describe(row));
            }
            float[] values = new float[features];
            for (int f = 0; f < features; f++) {
                JsonNode value = row.get(f);
                if (!value.isNumber()) {
                    throw ProtocolException.badRequest(
                            "inputs[" + i + "][" + f + "] must be a number, got " + describe(value));
                }
                values[f] = value.floatValue();
            }
            rows.add(values);
        }
        return new PredictRequest(List.of(), rows);
    }

    /** Number of features of a tabular model: the fixed last dimension of its single input. */
    public int featureCount() {
        long[] shape = model.inputs().get(0).shape();
        return (int) shape[shape.length - 1];
    }

    private InferRequest decodeTextInfer(
            Optional<String> id, Map<String, TensorData> decoded, Set<String> requestedOutputs) {
        if (decoded.size() != 1) {
            throw ProtocolException.badRequest("the '" + TEXT_INPUT + "' input cannot be combined with other inputs");
        }
        TensorData texts = decoded.get(TEXT_INPUT);
        if (texts.datatype() != Datatype.BYTES || texts.shape().length != 1) {
            throw ProtocolException.badRequest("input '" + TEXT_INPUT + "' must be BYTES with shape [n], got "
                    + texts.datatype() + " " + Arrays.toString(texts.shape()));
        }
        for (String name : requestedOutputs) {
            if (!name.equals("embedding")) {
                throw ProtocolException.badRequest("unknown output '" + name + "'; with the '" + TEXT_INPUT
                        + "' input the only output is 'embedding'");
            }
        }
        checkBatch(texts.strings().length, "input '" + TEXT_INPUT + "'");
        List<long[]> ids = tokenize(Arrays.asList(texts.strings()), false, "input '" + TEXT_INPUT + "'");
        return new InferRequest(id, List.of(texts), requestedOutputs, Optional.of(ids));
    }

    private List<long[]> tokenize(List<String> texts, boolean truncate, String field) {
        TextPipeline pipeline = model.text().orElseThrow();
        int maxTokens = text.orElseThrow().maxTokens();
        List<long[]> sequences = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            long[] ids = pipeline.tokenize(texts.get(i));
            if (ids.length > maxTokens) {
                if (!truncate) {
                    throw ProtocolException.badRequest(
                            field + "[" + i + "] has " + ids.length + " tokens (with [CLS] and [SEP]); "
                                    + model.descriptor().name() + " accepts at most " + maxTokens
                                    + ". Shorten the text or send \"parameters\": {\"truncate\": true} to /predict");
                }
                ids = pipeline.truncate(ids, maxTokens);
            }
            sequences.add(ids);
        }
        return sequences;
    }

    private TensorData decodeTensor(JsonNode node, String where) {
        if (!node.isObject()) {
            throw ProtocolException.badRequest(where + " must be an object with name, datatype, shape and data");
        }
        String name = requiredText(node, "name", where);
        String place = "input '" + name + "'";
        if (node.path("parameters").has("binary_data_size")) {
            throw ProtocolException.badRequest(
                    place + " is sent as binary data (binary_data_size); this server takes input"
                            + " tensors as JSON 'data' only (binary data is supported for outputs)");
        }
        String datatypeName = requiredText(node, "datatype", place);
        Datatype datatype;
        try {
            datatype = Datatype.valueOf(datatypeName);
        } catch (IllegalArgumentException e) {
            throw ProtocolException.badRequest(
                    place + " has datatype '" + datatypeName + "'; this server accepts FP32, INT64 and BYTES");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw ProtocolException.badRequest(place + " needs 'shape', an array of non-negative integers");
        }
        long[] shape = new long[shapeNode.size()];
        for (int d = 0; d < shape.length; d++) {
            JsonNode dim = shapeNode.get(d);
            if (!dim.isIntegralNumber() || dim.asLong() < 0) {
                throw ProtocolException.badRequest(
                        place + " shape[" + d + "] must be a non-negative integer, got " + describe(dim));
            }
            shape[d] = dim.asLong();
        }
        long expected;
        try {
            expected = TensorData.elementCount(shape);
        } catch (ArithmeticException e) {
            throw ProtocolException.badRequest(place + " shape " + Arrays.toString(shape) + " is too large");
        }
        if (expected == 0) {
            throw ProtocolException.badRequest(place + " shape " + Arrays.toString(shape) + " has no elements");
        }
        JsonNode data = node.get("data");
        if (data == null || !data.isArray()) {
            throw ProtocolException.badRequest(place + " needs 'data', an array (flat or nested, row-major)");
        }
        List<JsonNode> flat = new ArrayList<>();
        flatten(data, flat, expected);
        if (flat.size() != expected) {
            throw ProtocolException.badRequest(
                    place + " has shape " + Arrays.toString(shape) + " (" + expected + " elements) but "
                            + (flat.size() > expected ? "more than " + expected : flat.size()) + " data values");
        }
        Object values = switch (datatype) {
            case FP32 -> {
                float[] floats = new float[flat.size()];
                for (int i = 0; i < floats.length; i++) {
                    JsonNode v = flat.get(i);
                    if (!v.isNumber()) {
                        throw ProtocolException.badRequest(place + " is FP32 but data[" + i + "] is " + describe(v));
                    }
                    floats[i] = v.floatValue();
                }
                yield floats;
            }
            case INT64 -> {
                long[] longs = new long[flat.size()];
                for (int i = 0; i < longs.length; i++) {
                    JsonNode v = flat.get(i);
                    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                        throw ProtocolException.badRequest(place + " is INT64 but data[" + i + "] is " + describe(v));
                    }
                    longs[i] = v.asLong();
                }
                yield longs;
            }
            case BYTES -> {
                String[] strings = new String[flat.size()];
                for (int i = 0; i < strings.length; i++) {
                    JsonNode v = flat.get(i);
                    if (!v.isTextual()) {
                        throw ProtocolException.badRequest(place + " is BYTES but data[" + i + "] is " + describe(v));
                    }
                    strings[i] = v.asText();
                }
                yield strings;
            }
        };
        return new TensorData(name, datatype, shape, values);
    }

    /** Flattens nested arrays row-major, stopping one past {@code limit} so a huge body cannot blow up memory. */
    private static void flatten(JsonNode node, List<JsonNode> out, long limit) {
        for (JsonNode element : node) {
            if (out.size() > limit) {
                return;
            }
            if (element.isArray()) {
                flatten(element, out, limit);
            } else {
                out.add(element);
            }
        }
    }

    private void validateAgainstModel(Map<String, TensorData> decoded) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        for (TensorSpec spec : model.inputs()) {
            specs.put(spec.name(), spec);
        }
        for (String name : decoded.keySet()) {
            if (!specs.containsKey(name)) {
                throw ProtocolException.badRequest(
                        "unknown input '" + name + "'; " + model.descriptor().name()
                                + " takes " + String.join(", ", specs.keySet())
                                + (text.isPresent() ? " (or a single BYTES input '" + TEXT_INPUT + "')" : ""));
            }
        }
        for (TensorSpec spec : specs.values()) {
            TensorData tensor = decoded.get(spec.name());
            if (tensor == null) {
                throw ProtocolException.badRequest("missing input '" + spec.name() + "'; "
                        + model.descriptor().name() + " needs " + String.join(", ", specs.keySet()));
            }
            if (!tensor.datatype().name().equals(spec.datatype())) {
                throw ProtocolException.badRequest(
                        "input '" + spec.name() + "' must be " + spec.datatype() + ", got " + tensor.datatype());
            }
            long[] expected = spec.shape();
            long[] actual = tensor.shape();
            if (expected.length != actual.length) {
                throw ProtocolException.badRequest("input '" + spec.name() + "' must have " + expected.length
                        + " dimensions " + shapeText(expected) + ", got " + Arrays.toString(actual));
            }
            for (int d = 0; d < expected.length; d++) {
                if (expected[d] >= 0 && expected[d] != actual[d]) {
                    throw ProtocolException.badRequest("input '" + spec.name() + "' dimension " + d + " must be "
                            + expected[d] + " " + shapeText(expected) + ", got " + Arrays.toString(actual));
                }
            }
            if (actual.length > 0) {
                checkBatch(actual[0], "input '" + spec.name() + "'");
            }
        }
        text.ifPresent(settings -> validateEncoderInputs(decoded, settings));
    }

    /** Token ids, types and masks must index the embedding tables; ONNX Runtime would otherwise fail inside Gather. */
    private static void validateEncoderInputs(Map<String, TensorData> decoded, TextSettings settings) {
        long[] shape = null;
        for (TensorData tensor : decoded.values()) {
            if (shape == null) {
                shape = tensor.shape();
            } else if (!Arrays.equals(shape, tensor.shape())) {
                throw ProtocolException.badRequest("inputs " + String.join(", ", decoded.keySet())
                        + " must all have the same shape [batch, sequence]");
            }
        }
        if (shape != null && shape.length == 2 && shape[1] > settings.maxPositions()) {
            throw ProtocolException.badRequest(
                    "sequence length " + shape[1] + " exceeds the model's " + settings.maxPositions() + " positions");
        }
        Map<String, Long> bounds = new HashMap<>();
        bounds.put("input_ids", (long) settings.vocabulary());
        bounds.put("token_type_ids", (long) Math.max(1, settings.tokenTypes()));
        bounds.put("attention_mask", 2L);
        for (TensorData tensor : decoded.values()) {
            Long bound = bounds.get(tensor.name());
            if (bound == null || tensor.datatype() != Datatype.INT64) {
                continue;
            }
            long[] values = tensor.longs();
            for (int i = 0; i < values.length; i++) {
                if (values[i] < 0 || values[i] >= bound) {
                    throw ProtocolException.badRequest("input '" + tensor.name() + "' data[" + i + "] = " + values[i]
                            + " is outside [0, " + (bound - 1) + "]");
                }
            }
        }
    }

    private Set<String> decodeRequestedOutputs(JsonNode outputs, Map<String, Boolean> binaryByOutput) {
        Set<String> names = new LinkedHashSet<>();
        if (outputs == null || outputs.isNull()) {
            return names;
        }
        if (!outputs.isArray()) {
            throw ProtocolException.badRequest("'outputs' must be an array of {\"name\": ...} objects");
        }
        Set<String> known = new LinkedHashSet<>();
        for (TensorSpec spec : model.outputs()) {
            known.add(spec.name());
        }
        for (int i = 0; i < outputs.size(); i++) {
            JsonNode output = outputs.get(i);
            String name = requiredText(output, "name", "outputs[" + i + "]");
            if (!known.contains(name) && !(text.isPresent() && name.equals("embedding"))) {
                throw ProtocolException.badRequest("unknown output '" + name + "'; "
                        + model.descriptor().name() + " has " + String.join(", ", known));
            }
            names.add(name);
            if (output.path("parameters").has("binary_data")) {
                binaryByOutput.put(name, booleanParameter(output, "binary_data", "output '" + name + "'"));
            }
        }
        return names;
    }

    private void checkBatch(long batch, String what) {
        if (batch > maxBatch) {
            throw ProtocolException.badRequest(what + " has batch size " + batch + "; this server accepts at most "
                    + maxBatch + " (SALVO_MAX_BATCH)");
        }
    }

    static JsonNode parseObject(byte[] body) {
        if (body == null || body.length == 0) {
            throw ProtocolException.badRequest("empty request body; expected a JSON object");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ProtocolException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ProtocolException.badRequest("unreadable JSON body: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw ProtocolException.badRequest("request body must be a JSON object");
        }
        return root;
    }

    private static String requiredText(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw ProtocolException.badRequest(where + " needs '" + field + "', a non-empty string");
        }
        return value.asText();
    }

    private static String shapeText(long[] shape) {
        return Arrays.toString(shape).replace("-1", "-1 (any)");
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + shown;
    }
}
