package io.salvo.modelserver.inference;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Texts to sentence embeddings: WordPiece tokenization with the model's {@code tokenizer.json} (Hugging Face
 * tokenizers through DJL, the library langchain4j uses), one padded batch through the encoder, mean pooling over the
 * real tokens (attention mask), then L2 normalization — for one text exactly what langchain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} computes.
 *
 * <p>Thread-safe: the tokenizer is immutable after loading and {@link OrtSession#run} may be called concurrently.
 */
public final class TextPipeline implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final long separatorId;

    private TextPipeline(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        long[] empty = tokenizer.encode("").getIds();
        this.separatorId = empty[empty.length - 1];
    }

    /**
     * Loads a tokenizer with truncation and padding switched off: the file's own settings (for MiniLM: truncate at
     * 128, pad to 128) would hide over-long input and waste compute on padding.
     */
    public static TextPipeline load(Path tokenizerJson) throws IOException {
        return new TextPipeline(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
                "padding", "false",
                "truncation", "false",
                "addSpecialTokens", "true")));
    }

    /** Token ids of one text, [CLS] and [SEP] included. */
    public long[] tokenize(String text) {
        Encoding encoding = tokenizer.encode(text);
        return encoding.getIds();
    }

    /** Keeps the first {@code maxTokens - 1} ids and ends the sequence with [SEP] again. */
    public long[] truncate(long[] ids, int maxTokens) {
        if (ids.length <= maxTokens) {
            return ids;
        }
        long[] cut = Arrays.copyOf(ids, maxTokens);
        cut[maxTokens - 1] = separatorId;
        return cut;
    }

    /**
     * Runs the encoder once over all sequences (padded with id 0 to the longest) and pools each into one unit vector.
     *
     * @return one embedding per sequence
     */
    public static float[][] embed(OrtEnvironment environment, OrtSession session, List<long[]> sequences,
            String hiddenStateOutput, OrtSession.RunOptions runOptions) throws OrtException {
        int batch = sequences.size();
        int longest = 0;
        for (long[] ids : sequences) {
            longest = Math.max(longest, ids.length);
        }
        long[] inputIds = new long[batch * longest];
        long[] attentionMask = new long[batch * longest];
        for (int row = 0; row < batch; row++) {
            long[] ids = sequences.get(row);
            System.arraycopy(ids, 0, inputIds, row * longest, ids.length);
            for (int i = 0; i < ids.length; i++) {
                attentionMask[row * longest + i] = 1;
            }
        }
        long[] shape = {batch, longest};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(inputIds), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(attentionMask), shape));
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[batch * longest]), shape));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(hiddenStateOutput), runOptions)) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] hiddenShape = hidden.getInfo().getShape();
                int width = (int) hiddenShape[2];
                FloatBuffer values = hidden.getFloatBuffer();
                return meanPoolAndNormalize(values, attentionMask, batch, longest, width);
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
        }
    }

    static float[][] meanPoolAndNormalize(FloatBuffer hidden, long[] attentionMask, int batch, int sequence, int width) {
        float[][] embeddings = new float[batch][width];
        for (int row = 0; row < batch; row++) {
            float[] sum = embeddings[row];
            int tokens = 0;
            for (int position = 0; position < sequence; position++) {
                if (attentionMask[row * sequence + position] == 0) {
                    continue;
                }
                tokens++;
                int offset = (row * sequence + position) * width;
                for (int j = 0; j < width; j++) {
                    sum[j] += hidden.get(offset + j);
                }
            }
            double squares = 0;
            for (int j = 0; j < width; j++) {
                sum[j] /= tokens;
                squares += (double) sum[j] * sum[j];
            }
            float norm = (float) Math.sqrt(squares);
            if (norm > 0) {
                for (int j = 0; j < width; j++) {
                    sum[j] /= norm;
                }
            }
        }
        return embeddings;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
