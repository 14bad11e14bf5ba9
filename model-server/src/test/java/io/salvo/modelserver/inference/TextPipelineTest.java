package io.salvo.modelserver.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.TestModels;
import io.salvo.modelserver.catalog.ModelStore;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The text pipeline's shortcuts give what the plain APIs give (tokenization: {@link WordPieceTokenizerTest}):
 * embeddings computed in reused per-thread buffers with a pinned output equal those from ONNX Runtime's own output
 * copy, whatever the batch sizes before them.
 */
class TextPipelineTest {

    private static final String MODEL = "tiny-bert-shape";
    private static LoadedModel model;

    @BeforeAll
    static void load() throws Exception {
        ModelStore.PreparedModel prepared = TestModels.prepared(MODEL);
        model = ModelLoader.load(prepared, 1, 1, false).model();
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
    }

    @Test
    void embeddingsInReusedBuffersEqualThoseFromOnnxRuntimesOwnOutput() throws Exception {
        TextPipeline pipeline = model.text().orElseThrow();
        long[] shortText = pipeline.tokenize("short one");
        long[] longText =
                pipeline.tokenize("a considerably longer sentence, so that the short one is padded next to it");
        try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
            float[][] batched = model.embed(List.of(longText, shortText), options);
            // a smaller request after a larger one reuses the grown buffers; stale cells must not leak in
            float[][] alone = model.embed(List.of(shortText), options);
            float[][] again = model.embed(List.of(longText, shortText, longText), options);

            float[] reference = referenceEmbedding(shortText);
            assertThat(alone[0]).hasSize(64);
            for (int i = 0; i < reference.length; i++) {
                assertThat(alone[0][i]).as("alone, component %d", i).isCloseTo(reference[i], within(1e-5f));
                assertThat(batched[1][i]).as("padded, component %d", i).isCloseTo(reference[i], within(1e-4f));
                assertThat(again[1][i]).as("after growth, component %d", i).isCloseTo(reference[i], within(1e-4f));
            }
            assertThat(again[0]).containsExactly(again[2]);
        }
    }

    /** One sequence through the plain API: fresh input tensors, ONNX Runtime allocates the output, then it is copied. */
    private static float[] referenceEmbedding(long[] ids) throws Exception {
        long[] shape = {1, ids.length};
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(model.environment(), LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(model.environment(), LongBuffer.wrap(mask), shape));
            inputs.put(
                    "token_type_ids",
                    OnnxTensor.createTensor(model.environment(), LongBuffer.wrap(new long[ids.length]), shape));
            try (OrtSession.Result result = model.session().run(inputs, Set.of(LoadedModel.HIDDEN_STATE_OUTPUT))) {
                FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
                return TextPipeline.meanPoolAndNormalize(hidden, mask, 1, ids.length, 64)[0];
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
        }
    }
}
