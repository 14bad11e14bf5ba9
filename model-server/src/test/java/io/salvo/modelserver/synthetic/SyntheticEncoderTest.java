package io.salvo.modelserver.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.OutputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SyntheticEncoderTest {

    /** Hugging Face's parameter counts for distilbert-base-uncased and bert-base-uncased (with pooler). */
    static Stream<Arguments> fullSizeShapes() {
        return Stream.of(
                Arguments.of("distilbert-shape", EncoderArchitecture.DISTILBERT_BASE, 66_362_880L, 254L),
                Arguments.of("bert-base-shape", EncoderArchitecture.BERT_BASE, 109_482_240L, 418L));
    }

    @ParameterizedTest(name = "{0} has {2} parameters and ~{3} MiB")
    @MethodSource("fullSizeShapes")
    void fullSizeGraphHasTheTargetParameterCountAndFileSize(
            String name, EncoderArchitecture architecture, long targetParameters, long targetMebibytes) {
        ModelProto model = EncoderGraphBuilder.build(architecture, 1L, name);

        long parameters = EncoderGraphBuilder.parameterCount(model);
        assertThat(parameters).isEqualTo(architecture.parameterCount());
        assertThat((double) parameters).isCloseTo((double) targetParameters, within(targetParameters * 0.005));
        assertThat(model.getSerializedSize() / (1024.0 * 1024.0))
                .isCloseTo((double) targetMebibytes, within(targetMebibytes * 0.01));
    }

    @ParameterizedTest(name = "{0} loads in ONNX Runtime and runs")
    @MethodSource("fullSizeShapes")
    void fullSizeModelLoadsAndRuns(
            String name,
            EncoderArchitecture architecture,
            long ignoredParameters,
            long ignoredMebibytes,
            @TempDir Path directory)
            throws Exception {
        Path file = directory.resolve(name + ".onnx");
        try (OutputStream out = Files.newOutputStream(file)) {
            EncoderGraphBuilder.build(architecture, 1L, name).writeTo(out);
        }
        Map<String, float[]> outputs = run(file, architecture, 1, 6);
        assertThat(outputs.get(EncoderGraphBuilder.LAST_HIDDEN_STATE)).hasSize(6 * 768);
    }

    @Test
    void tinyEncoderRunsWithTheRightOutputShapes(@TempDir Path directory) throws Exception {
        EncoderArchitecture tiny = EncoderArchitecture.TINY;
        ModelProto model = EncoderGraphBuilder.build(tiny, 7L, "tiny");
        assertThat(EncoderGraphBuilder.parameterCount(model)).isEqualTo(tiny.parameterCount());
        Path file = directory.resolve("tiny.onnx");
        Files.write(file, model.toByteArray());

        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession session = environment.createSession(file.toString(), new OrtSession.SessionOptions())) {
            assertThat(session.getInputNames())
                    .containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
            assertThat(session.getOutputNames()).containsExactly("last_hidden_state", "pooler_output");
        }
        Map<String, long[]> shapes = new HashMap<>();
        Map<String, float[]> outputs = run(file, tiny, 2, 5, shapes);
        assertThat(shapes.get("last_hidden_state")).containsExactly(2, 5, 64);
        assertThat(shapes.get("pooler_output")).containsExactly(2, 64);
        for (float value : outputs.get("last_hidden_state")) {
            assertThat(Float.isFinite(value)).isTrue();
        }
        // pooler is tanh(...): strictly inside (-1, 1)
        for (float value : outputs.get("pooler_output")) {
            assertThat(value).isStrictlyBetween(-1f, 1f);
        }
    }

    @Test
    void sameSeedGivesIdenticalBytesAndDifferentSeedsDiffer() {
        byte[] first =
                EncoderGraphBuilder.build(EncoderArchitecture.TINY, 3L, "tiny").toByteArray();
        byte[] again =
                EncoderGraphBuilder.build(EncoderArchitecture.TINY, 3L, "tiny").toByteArray();
        byte[] other =
                EncoderGraphBuilder.build(EncoderArchitecture.TINY, 4L, "tiny").toByteArray();
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void paddingIsMaskedOut(@TempDir Path directory) throws Exception {
        // the first sequence alone and the same sequence padded with a masked token give the same hidden states
        Path file = directory.resolve("tiny.onnx");
        Files.write(
                file,
                EncoderGraphBuilder.build(EncoderArchitecture.TINY, 7L, "tiny").toByteArray());
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession session = environment.createSession(file.toString(), new OrtSession.SessionOptions())) {
            float[] alone = hidden(environment, session, new long[] {101, 2000, 102}, new long[] {1, 1, 1});
            float[] padded = hidden(environment, session, new long[] {101, 2000, 102, 0}, new long[] {1, 1, 1, 0});
            for (int i = 0; i < alone.length; i++) {
                assertThat(padded[i]).isCloseTo(alone[i], within(1e-4f));
            }
        }
    }

    private static float[] hidden(OrtEnvironment environment, OrtSession session, long[] ids, long[] mask)
            throws Exception {
        long[] shape = {1, ids.length};
        try (OnnxTensor idTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
                OnnxTensor maskTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
                OnnxTensor types = OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape);
                OrtSession.Result result = session.run(
                        Map.of("input_ids", idTensor, "attention_mask", maskTensor, "token_type_ids", types))) {
            float[] all = new float[ids.length * 64];
            ((OnnxTensor) result.get(0)).getFloatBuffer().get(all);
            return java.util.Arrays.copyOf(all, 3 * 64);
        }
    }

    private static Map<String, float[]> run(Path file, EncoderArchitecture architecture, int batch, int sequence)
            throws Exception {
        return run(file, architecture, batch, sequence, new HashMap<>());
    }

    private static Map<String, float[]> run(
            Path file, EncoderArchitecture architecture, int batch, int sequence, Map<String, long[]> shapes)
            throws Exception {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        long[] shape = {batch, sequence};
        long[] ids = new long[batch * sequence];
        long[] mask = new long[batch * sequence];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1000L + i;
            mask[i] = 1;
        }
        Map<String, float[]> outputs = new HashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = environment.createSession(file.toString(), options)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (architecture.tokenTypes() > 0) {
                inputs.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> entry : result) {
                    OnnxTensor tensor = (OnnxTensor) entry.getValue();
                    shapes.put(entry.getKey(), tensor.getInfo().getShape());
                    float[] values = new float[(int) tensor.getInfo().getNumElements()];
                    tensor.getFloatBuffer().get(values);
                    outputs.put(entry.getKey(), values);
                }
            } finally {
                for (OnnxTensor tensor : inputs.values()) {
                    tensor.close();
                }
            }
        }
        return outputs;
    }
}
