package io.salvo.modelserver.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Texts to sentence embeddings: WordPiece tokenization with the model's {@code tokenizer.json}
 * ({@link WordPieceTokenizer}, id for id what the Hugging Face tokenizers library gives), one padded batch through
 * the encoder, mean pooling over the real tokens (attention mask), then L2 normalization — for one text exactly what langchain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} computes.
 *
 * <p>Thread-safe: the tokenizer is immutable after loading and {@link OrtSession#run} may be called concurrently.
 */
public final class TextPipeline {

    private final WordPieceTokenizer tokenizer;

    private TextPipeline(WordPieceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads the tokenizer without truncation or padding, whatever the file says: its own settings (for MiniLM:
     * truncate at 128, pad to 128) would hide over-long input and waste compute on padding.
     */
    public static TextPipeline load(Path tokenizerJson) throws IOException {
        return new TextPipeline(WordPieceTokenizer.load(tokenizerJson));
    }

    /** Token ids of one text, [CLS] and [SEP] included. */
    public long[] tokenize(String text) {
        return tokenizer.encode(text);
    }

    /** Keeps the first {@code maxTokens - 1} ids and ends the sequence with [SEP] again. */
    public long[] truncate(long[] ids, int maxTokens) {
        if (ids.length <= maxTokens) {
            return ids;
        }
        long[] cut = Arrays.copyOf(ids, maxTokens);
        cut[maxTokens - 1] = tokenizer.separatorId();
        return cut;
    }

    /**
     * Runs the encoder once over all sequences (padded with id 0 to the longest) and pools each into one unit vector.
     *
     * <p>Inputs and the hidden-state output live in this thread's direct buffers and ONNX Runtime writes the output
     * into them (a pinned output): no copy of the ids into fresh native memory and no copy of the whole hidden state
     * out of it, per request.
     *
     * @param width the hidden size, the last dimension of {@code hiddenStateOutput}
     * @return one embedding per sequence
     */
    public static float[][] embed(
            OrtEnvironment environment,
            OrtSession session,
            List<long[]> sequences,
            String hiddenStateOutput,
            int width,
            boolean tokenTypes,
            OrtSession.RunOptions runOptions)
            throws OrtException {
        int batch = sequences.size();
        int longest = 0;
        for (long[] ids : sequences) {
            longest = Math.max(longest, ids.length);
        }
        int cells = batch * longest;
        Scratch scratch = SCRATCH.get().ensure(cells, cells * width);
        LongBuffer inputIds = scratch.ids.clear().limit(cells).slice();
        LongBuffer attentionMask = scratch.mask.clear().limit(cells).slice();
        long[] mask = new long[cells];
        for (int row = 0; row < batch; row++) {
            long[] ids = sequences.get(row);
            inputIds.position(row * longest).put(ids);
            for (int i = ids.length; i < longest; i++) {
                inputIds.put(0L);
            }
            Arrays.fill(mask, row * longest, row * longest + ids.length, 1L);
        }
        inputIds.rewind();
        attentionMask.put(mask).rewind();
        FloatBuffer hidden = scratch.hidden.clear().limit(cells * width).slice();
        long[] shape = {batch, longest};
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        OnnxTensor output = null;
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, inputIds, shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, attentionMask, shape));
            if (tokenTypes) {
                LongBuffer types = scratch.types.clear().limit(cells).slice();
                for (int i = 0; i < cells; i++) {
                    types.put(i, 0L);
                }
                inputs.put("token_type_ids", OnnxTensor.createTensor(environment, types, shape));
            }
            output = OnnxTensor.createTensor(environment, hidden, new long[] {batch, longest, width});
            session.run(inputs, Set.of(), Map.of(hiddenStateOutput, output), runOptions)
                    .close();
            return meanPoolAndNormalize(hidden, mask, batch, longest, width);
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
            if (output != null) {
                output.close();
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * One thread's native input and output buffers, grown to the largest request seen. ONNX Runtime reads and writes
     * them only inside {@code run} on this thread, so reuse across that thread's requests is safe.
     */
    private static final class Scratch {
        LongBuffer ids = longs(0);
        LongBuffer mask = longs(0);
        LongBuffer types = longs(0);
        FloatBuffer hidden = floats(0);

        Scratch ensure(int cells, int hiddenCells) {
            if (ids.capacity() < cells) {
                int grown = Math.max(cells, ids.capacity() * 2);
                ids = longs(grown);
                mask = longs(grown);
                types = longs(grown);
            }
            if (hidden.capacity() < hiddenCells) {
                hidden = floats(Math.max(hiddenCells, hidden.capacity() * 2));
            }
            return this;
        }

        private static LongBuffer longs(int count) {
            return ByteBuffer.allocateDirect(count * Long.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asLongBuffer();
        }

        private static FloatBuffer floats(int count) {
            return ByteBuffer.allocateDirect(count * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
        }
    }

    static float[][] meanPoolAndNormalize(
            FloatBuffer hidden, long[] attentionMask, int batch, int sequence, int width) {
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
}
