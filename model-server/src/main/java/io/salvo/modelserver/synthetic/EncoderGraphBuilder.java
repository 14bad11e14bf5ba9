package io.salvo.modelserver.synthetic;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds a BERT-family encoder as an ONNX model with random, seeded weights.
 *
 * <p>The graph uses only standard ONNX operators (opset 17: Gather, MatMul, Softmax, LayerNormalization, Erf, ...),
 * so ONNX Runtime sees the same operator mix as in an exported Hugging Face encoder and applies the same
 * graph optimizations. Weights live in {@code raw_data} as little-endian floats; helper constants (shapes,
 * scalars) are {@code Constant} nodes, so the initializers are exactly the model's parameters.
 *
 * <p>Weights are uniform in ±0.0346 (standard deviation 0.02, BERT's initializer range); LayerNorm gains are 1
 * and every bias is 0. Each tensor gets its own seed derived from the model seed and the tensor name, so a
 * tensor's values do not depend on build order.
 *
 * <p>Not thread-safe; build one model per instance.
 */
public final class EncoderGraphBuilder {

    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";
    public static final String POOLER_OUTPUT = "pooler_output";

    static final int OPSET = 17;
    private static final int IR_VERSION = 8;
    private static final float WEIGHT_BOUND = 0.0346f;
    private static final float LAYER_NORM_EPSILON = 1e-12f;

    private final EncoderArchitecture architecture;
    private final long seed;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private int nextValueId;

    private EncoderGraphBuilder(EncoderArchitecture architecture, long seed) {
        this.architecture = architecture;
        this.seed = seed;
    }

    /** Builds the complete model; for the full-size shapes this holds all weights in memory (up to ~440 MB). */
    public static ModelProto build(EncoderArchitecture architecture, long seed, String modelName) {
        return new EncoderGraphBuilder(architecture, seed).buildModel(modelName);
    }

    private ModelProto buildModel(String modelName) {
        EncoderArchitecture a = architecture;
        String hiddenStates = embeddings();
        String attentionBias = attentionBias();
        for (int layer = 0; layer < a.layers(); layer++) {
            hiddenStates = encoderLayer(layer, hiddenStates, attentionBias);
        }
        nodes.add(node("Identity", List.of(hiddenStates), LAST_HIDDEN_STATE));

        GraphProto.Builder graph = GraphProto.newBuilder()
                .setName(modelName)
                .addInput(tensorValue(INPUT_IDS, TensorProto.DataType.INT64, "batch", "sequence"))
                .addInput(tensorValue(ATTENTION_MASK, TensorProto.DataType.INT64, "batch", "sequence"));
        if (a.tokenTypes() > 0) {
            graph.addInput(tensorValue(TOKEN_TYPE_IDS, TensorProto.DataType.INT64, "batch", "sequence"));
        }
        graph.addOutput(tensorValue(LAST_HIDDEN_STATE, TensorProto.DataType.FLOAT, "batch", "sequence", a.hidden()));
        if (a.pooler()) {
            String firstToken = op("Gather", List.of(hiddenStates, scalarInt64(0)), intAttribute("axis", 1));
            String dense = linear("pooler.dense", firstToken, a.hidden(), a.hidden());
            nodes.add(node("Tanh", List.of(dense), POOLER_OUTPUT));
            graph.addOutput(tensorValue(POOLER_OUTPUT, TensorProto.DataType.FLOAT, "batch", a.hidden()));
        }
        graph.addAllNode(nodes).addAllInitializer(initializers);

        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("salvo-model-server")
                .setProducerVersion("1")
                .setDomain("io.salvo")
                .setModelVersion(1)
                .setDocString(
                        "Synthetic encoder with random weights (seed " + seed + "); outputs are meaningless. " + a)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .addMetadataProps(
                        StringStringEntryProto.newBuilder().setKey("salvo.seed").setValue(Long.toString(seed)))
                .addMetadataProps(StringStringEntryProto.newBuilder()
                        .setKey("salvo.architecture")
                        .setValue(a.toString()))
                .setGraph(graph)
                .build();
    }

    /** Sum of the element counts of all initializers: the model's parameter count as stored in the file. */
    public static long parameterCount(ModelProto model) {
        long total = 0;
        for (TensorProto initializer : model.getGraph().getInitializerList()) {
            long elements = 1;
            for (long dim : initializer.getDimsList()) {
                elements *= dim;
            }
            total += elements;
        }
        return total;
    }

    private String embeddings() {
        EncoderArchitecture a = architecture;
        String words = op(
                "Gather", List.of(weight("embeddings.word_embeddings.weight", a.vocabulary(), a.hidden()), INPUT_IDS));
        // position ids are 0..sequence-1, computed from the input's shape so any sequence length works
        String inputShape = op("Shape", List.of(INPUT_IDS));
        String sequenceLength = op("Gather", List.of(inputShape, scalarInt64(1)), intAttribute("axis", 0));
        String positionIds = op("Range", List.of(scalarInt64(0), sequenceLength, scalarInt64(1)));
        String positions = op(
                "Gather",
                List.of(weight("embeddings.position_embeddings.weight", a.maxPositions(), a.hidden()), positionIds));
        String sum = op("Add", List.of(words, positions));
        if (a.tokenTypes() > 0) {
            String types = op(
                    "Gather",
                    List.of(
                            weight("embeddings.token_type_embeddings.weight", a.tokenTypes(), a.hidden()),
                            TOKEN_TYPE_IDS));
            sum = op("Add", List.of(sum, types));
        }
        return layerNorm("embeddings.LayerNorm", sum);
    }

    /** (1 - mask) * -10000, shaped [batch, 1, 1, sequence] to broadcast over heads and query positions. */
    private String attentionBias() {
        String maskFloat = op("Cast", List.of(ATTENTION_MASK), intAttribute("to", TensorProto.DataType.FLOAT_VALUE));
        String inverted = op("Sub", List.of(scalarFloat(1.0f), maskFloat));
        String bias = op("Mul", List.of(inverted, scalarFloat(-10000.0f)));
        return op("Unsqueeze", List.of(bias, vectorInt64(1, 2)));
    }

    private String encoderLayer(int layer, String input, String attentionBias) {
        EncoderArchitecture a = architecture;
        String prefix = "encoder.layer." + layer + ".";
        int h = a.hidden();

        String query = splitHeads(linear(prefix + "attention.self.query", input, h, h), false);
        String keyTransposed = splitHeads(linear(prefix + "attention.self.key", input, h, h), true);
        String value = splitHeads(linear(prefix + "attention.self.value", input, h, h), false);

        String scores = op("MatMul", List.of(query, keyTransposed));
        String scaled = op("Mul", List.of(scores, scalarFloat((float) (1.0 / Math.sqrt(a.headSize())))));
        String masked = op("Add", List.of(scaled, attentionBias));
        String probabilities = op("Softmax", List.of(masked), intAttribute("axis", -1));
        String context = op("MatMul", List.of(probabilities, value));
        String merged = op(
                "Reshape",
                List.of(op("Transpose", List.of(context), intsAttribute("perm", 0, 2, 1, 3)), vectorInt64(0, 0, h)));
        String attentionOut = linear(prefix + "attention.output.dense", merged, h, h);
        String attentionNormed =
                layerNorm(prefix + "attention.output.LayerNorm", op("Add", List.of(attentionOut, input)));

        String expanded = linear(prefix + "intermediate.dense", attentionNormed, h, a.intermediate());
        String activated = gelu(expanded);
        String contracted = linear(prefix + "output.dense", activated, a.intermediate(), h);
        return layerNorm(prefix + "output.LayerNorm", op("Add", List.of(contracted, attentionNormed)));
    }

    /** [b, s, hidden] to [b, heads, s, headSize], or to [b, heads, headSize, s] for the transposed key. */
    private String splitHeads(String input, boolean transposeForKey) {
        String reshaped =
                op("Reshape", List.of(input, vectorInt64(0, 0, architecture.heads(), architecture.headSize())));
        AttributeProto perm = transposeForKey ? intsAttribute("perm", 0, 2, 3, 1) : intsAttribute("perm", 0, 2, 1, 3);
        return op("Transpose", List.of(reshaped), perm);
    }

    /** Exact GELU, 0.5 · x · (1 + erf(x / √2)), as BERT uses it. */
    private String gelu(String x) {
        String erf = op("Erf", List.of(op("Div", List.of(x, scalarFloat((float) Math.sqrt(2.0))))));
        String onePlus = op("Add", List.of(erf, scalarFloat(1.0f)));
        return op("Mul", List.of(op("Mul", List.of(x, scalarFloat(0.5f))), onePlus));
    }

    private String linear(String name, String input, int inFeatures, int outFeatures) {
        String product = op("MatMul", List.of(input, weight(name + ".weight", inFeatures, outFeatures)));
        return op("Add", List.of(product, constantTensor(name + ".bias", new long[] {outFeatures}, 0.0f)));
    }

    private String layerNorm(String name, String input) {
        int h = architecture.hidden();
        NodeProto.Builder node = NodeProto.newBuilder()
                .setOpType("LayerNormalization")
                .addInput(input)
                .addInput(constantTensor(name + ".weight", new long[] {h}, 1.0f))
                .addInput(constantTensor(name + ".bias", new long[] {h}, 0.0f))
                .addAttribute(intAttribute("axis", -1))
                .addAttribute(AttributeProto.newBuilder()
                        .setName("epsilon")
                        .setType(AttributeProto.AttributeType.FLOAT)
                        .setF(LAYER_NORM_EPSILON));
        String output = newValueName("LayerNormalization");
        nodes.add(node.setName(output).addOutput(output).build());
        return output;
    }

    /** A trainable weight with seeded uniform values. */
    private String weight(String name, long rows, long columns) {
        int count = Math.toIntExact(rows * columns);
        ByteBuffer bytes =
                ByteBuffer.allocate(Math.multiplyExact(count, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer floats = bytes.asFloatBuffer();
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * name.hashCode()));
        for (int i = 0; i < count; i++) {
            floats.put((float) ((random.nextDouble() * 2.0 - 1.0) * WEIGHT_BOUND));
        }
        addInitializer(name, new long[] {rows, columns}, bytes.array());
        return name;
    }

    /** A trainable parameter initialised to a constant (biases to 0, LayerNorm gains to 1). */
    private String constantTensor(String name, long[] dims, float value) {
        long count = 1;
        for (long dim : dims) {
            count *= dim;
        }
        ByteBuffer bytes =
                ByteBuffer.allocate(Math.toIntExact(count * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            bytes.putFloat(value);
        }
        addInitializer(name, dims, bytes.array());
        return name;
    }

    private void addInitializer(String name, long[] dims, byte[] littleEndianFloats) {
        TensorProto.Builder tensor = TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                // the array is never touched again, so wrapping it avoids a second copy of up to 94 MB
                .setRawData(UnsafeByteOperations.unsafeWrap(littleEndianFloats));
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        initializers.add(tensor.build());
    }

    private String scalarInt64(long value) {
        ByteBuffer bytes =
                ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return constantNode(TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes.array())));
    }

    private String vectorInt64(long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            bytes.putLong(value);
        }
        return constantNode(TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(values.length)
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes.array())));
    }

    private String scalarFloat(float value) {
        ByteBuffer bytes =
                ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
        return constantNode(TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes.array())));
    }

    private String constantNode(TensorProto.Builder value) {
        String output = newValueName("Constant");
        nodes.add(NodeProto.newBuilder()
                .setOpType("Constant")
                .setName(output)
                .addOutput(output)
                .addAttribute(AttributeProto.newBuilder()
                        .setName("value")
                        .setType(AttributeProto.AttributeType.TENSOR)
                        .setT(value.setName(output)))
                .build());
        return output;
    }

    private String op(String opType, List<String> inputs, AttributeProto... attributes) {
        String output = newValueName(opType);
        NodeProto.Builder node = NodeProto.newBuilder()
                .setOpType(opType)
                .setName(output)
                .addAllInput(inputs)
                .addOutput(output);
        for (AttributeProto attribute : attributes) {
            node.addAttribute(attribute);
        }
        nodes.add(node.build());
        return output;
    }

    private static NodeProto node(String opType, List<String> inputs, String output) {
        return NodeProto.newBuilder()
                .setOpType(opType)
                .setName(output)
                .addAllInput(inputs)
                .addOutput(output)
                .build();
    }

    private String newValueName(String opType) {
        return opType + "_" + nextValueId++;
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.INT)
                .setI(value)
                .build();
    }

    private static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder attribute =
                AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }

    /** A tensor value description; String dims are symbolic (dynamic), Integer dims are fixed. */
    private static ValueInfoProto tensorValue(String name, TensorProto.DataType type, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            if (dim instanceof String symbol) {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(symbol));
            } else {
                shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) dim).longValue()));
            }
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(type.getNumber())
                                .setShape(shape)))
                .build();
    }
}
