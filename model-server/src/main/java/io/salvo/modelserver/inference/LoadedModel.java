package io.salvo.modelserver.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.salvo.modelserver.catalog.ModelDescriptor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model ready to run: its ONNX Runtime session, its input/output descriptions and, for text encoders, its
 * tokenizer. Inputs handed to {@link #run} must already be validated against {@link #inputs()}.
 *
 * <p>Thread-safe: ONNX Runtime sessions accept concurrent {@code run} calls.
 */
public final class LoadedModel implements AutoCloseable {

    /** The encoder output that text pipelines pool. */
    public static final String HIDDEN_STATE_OUTPUT = "last_hidden_state";

    private final ModelDescriptor descriptor;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final Optional<TextPipeline> text;
    private final List<String> labels;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final Map<String, OnnxJavaType> inputTypes = new LinkedHashMap<>();
    /** Last dimension of the hidden-state output of text encoders; 0 for other models. */
    private final int hiddenWidth;

    private final boolean tokenTypes;

    LoadedModel(
            ModelDescriptor descriptor,
            OrtEnvironment environment,
            OrtSession session,
            Optional<TextPipeline> text,
            List<String> labels)
            throws OrtException {
        this.descriptor = descriptor;
        this.environment = environment;
        this.session = session;
        this.text = text;
        this.labels = List.copyOf(labels);
        this.inputs = describe(session.getInputInfo(), inputTypes);
        this.outputs = describe(session.getOutputInfo(), new LinkedHashMap<>());
        this.hiddenWidth = outputs.stream()
                .filter(spec -> spec.name().equals(HIDDEN_STATE_OUTPUT))
                .mapToInt(spec -> (int) spec.shape()[spec.shape().length - 1])
                .findFirst()
                .orElse(0);
        this.tokenTypes = inputTypes.containsKey("token_type_ids");
        if (text.isPresent() && hiddenWidth <= 0) {
            throw new IllegalStateException(descriptor.name() + ": a text encoder needs a '" + HIDDEN_STATE_OUTPUT
                    + "' output with a fixed last dimension");
        }
    }

    private static List<TensorSpec> describe(Map<String, NodeInfo> infos, Map<String, OnnxJavaType> types) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : infos.values()) {
            if (node.getInfo() instanceof TensorInfo tensor) {
                types.put(node.getName(), tensor.type);
                specs.add(new TensorSpec(node.getName(), Datatype.protocolName(tensor.type), tensor.getShape()));
            } else {
                specs.add(new TensorSpec(node.getName(), "NON_TENSOR", new long[0]));
            }
        }
        return List.copyOf(specs);
    }

    public ModelDescriptor descriptor() {
        return descriptor;
    }

    public List<TensorSpec> inputs() {
        return inputs;
    }

    public List<TensorSpec> outputs() {
        return outputs;
    }

    public Optional<TextPipeline> text() {
        return text;
    }

    /** Class names in the order of the classifier's probability output; empty for other models. */
    public List<String> labels() {
        return labels;
    }

    /** The session itself, for benchmarks that compare the HTTP path with a bare {@code OrtSession.run}. */
    public OrtSession session() {
        return session;
    }

    public OrtEnvironment environment() {
        return environment;
    }

    /** Runs the model on validated inputs and returns the requested outputs (all outputs when none are named). */
    public List<TensorData> run(
            List<TensorData> tensors, Set<String> requestedOutputs, OrtSession.RunOptions runOptions)
            throws OrtException {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (TensorData tensor : tensors) {
                feed.put(tensor.name(), toOnnx(tensor));
            }
            Set<String> wanted =
                    requestedOutputs.isEmpty() ? new LinkedHashSet<>(session.getOutputNames()) : requestedOutputs;
            try (OrtSession.Result result = session.run(feed, wanted, runOptions)) {
                List<TensorData> out = new ArrayList<>();
                for (Map.Entry<String, OnnxValue> entry : result) {
                    out.add(fromOnnx(entry.getKey(), entry.getValue()));
                }
                return out;
            }
        } finally {
            for (OnnxTensor tensor : feed.values()) {
                tensor.close();
            }
        }
    }

    /** Sentence embeddings for already tokenized texts (see {@link TextPipeline}). */
    public float[][] embed(List<long[]> tokenIds, OrtSession.RunOptions runOptions) throws OrtException {
        return TextPipeline.embed(
                environment, session, tokenIds, HIDDEN_STATE_OUTPUT, hiddenWidth, tokenTypes, runOptions);
    }

    private OnnxTensor toOnnx(TensorData tensor) throws OrtException {
        return switch (tensor.datatype()) {
            case FP32 -> OnnxTensor.createTensor(environment, FloatBuffer.wrap(tensor.floats()), tensor.shape());
            case INT64 -> OnnxTensor.createTensor(environment, LongBuffer.wrap(tensor.longs()), tensor.shape());
            case BYTES -> OnnxTensor.createTensor(environment, tensor.strings(), tensor.shape());
        };
    }

    private static TensorData fromOnnx(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new IllegalStateException("output " + name + " is a " + value.getType() + ", not a tensor");
        }
        TensorInfo info = tensor.getInfo();
        long[] shape = info.getShape();
        return switch (info.type) {
            case FLOAT -> {
                FloatBuffer buffer = tensor.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                yield new TensorData(name, Datatype.FP32, shape, values);
            }
            case INT64 -> {
                LongBuffer buffer = tensor.getLongBuffer();
                long[] values = new long[buffer.remaining()];
                buffer.get(values);
                yield new TensorData(name, Datatype.INT64, shape, values);
            }
            case STRING -> {
                List<String> flat = new ArrayList<>();
                flattenStrings(tensor.getValue(), flat);
                yield new TensorData(name, Datatype.BYTES, shape, flat.toArray(new String[0]));
            }
            default ->
                throw new IllegalStateException(
                        "output " + name + " has element type " + info.type + ", which this server cannot return");
        };
    }

    private static void flattenStrings(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
        } else if (value instanceof Object[] array) {
            for (Object element : array) {
                flattenStrings(element, out);
            }
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
