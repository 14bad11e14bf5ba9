package io.salvo.bench.shared;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.inference.WordPieceTokenizer;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The one sentence the model-server benchmarks send, tokenized for one model, in each form a round uses: the
 * in-process baseline's input tensors, an Open Inference Protocol {@code /infer} request with the same token ids, and
 * a {@code /predict} request with the text. ModelServerBench and ServerAB build their requests here so that their
 * figures stay comparable with each other and with the published ones (the bytes are pinned by a test).
 */
public final class SentenceRequests {

    /** 19 tokens with [CLS] and [SEP] for the BERT-vocabulary models. */
    public static final String SENTENCE =
            "Salvo measures how long a serverless model server takes to answer its first request.";

    private static final String TOKEN_TYPES_INPUT = "token_type_ids";

    private final long[] tokenIds;
    private final long[] attentionMask;

    SentenceRequests(long[] tokenIds) {
        this.tokenIds = tokenIds;
        this.attentionMask = new long[tokenIds.length];
        Arrays.fill(attentionMask, 1);
    }

    /** Tokenizes {@link #SENTENCE} with the model's tokenizer.json, as the server's /predict does. */
    public static SentenceRequests tokenize(Path modelDir, String model) throws IOException {
        return new SentenceRequests(
                WordPieceTokenizer.load(modelDir.resolve(model).resolve("tokenizer.json"))
                        .encode(SENTENCE));
    }

    /** Whether the model takes token_type_ids besides input_ids and attention_mask (BERT does, DistilBERT not). */
    public static boolean takesTokenTypes(OrtSession session) throws OrtException {
        return session.getInputNames().contains(TOKEN_TYPES_INPUT);
    }

    public int tokenCount() {
        return tokenIds.length;
    }

    /**
     * The in-process baseline's inputs, shape [1, tokens]. The caller closes the tensors; on failure the ones already
     * created are closed here.
     */
    public Map<String, OnnxTensor> tensors(OrtEnvironment environment, boolean tokenTypes) throws OrtException {
        long[] shape = {1, tokenIds.length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(tokenIds), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(attentionMask), shape));
            if (tokenTypes) {
                inputs.put(
                        TOKEN_TYPES_INPUT,
                        OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[tokenIds.length]), shape));
            }
            return inputs;
        } catch (OrtException | RuntimeException e) {
            inputs.values().forEach(OnnxTensor::close);
            throw e;
        }
    }

    /** {@code POST /v2/models/MODEL/infer} with the token ids; the response holds the model's outputs as JSON. */
    public byte[] infer(String model, boolean tokenTypes) {
        return ModelServerConnection.jsonPost(inferPath(model), inferJson(tokenTypes));
    }

    /** As {@link #infer}, asking for the outputs as binary tensor data instead of JSON numbers. */
    public byte[] inferBinaryOutput(String model, boolean tokenTypes) {
        String json = inferJson(tokenTypes);
        return ModelServerConnection.jsonPost(
                inferPath(model),
                json.substring(0, json.length() - 1) + ",\"parameters\":{\"binary_data_output\":true}}");
    }

    /** {@code POST /v2/models/MODEL/predict} with the text: the server tokenizes, runs and pools. */
    public static byte[] predict(String model) {
        return ModelServerConnection.jsonPost(
                "/v2/models/" + model + "/predict", "{\"inputs\":[\"" + SENTENCE + "\"]}");
    }

    String inferJson(boolean tokenTypes) {
        String shape = "[1," + tokenIds.length + "]";
        return "{\"inputs\":[" + tensorJson("input_ids", shape, tokenIds) + ","
                + tensorJson("attention_mask", shape, attentionMask)
                + (tokenTypes ? "," + tensorJson(TOKEN_TYPES_INPUT, shape, new long[tokenIds.length]) : "") + "]}";
    }

    private static String inferPath(String model) {
        return "/v2/models/" + model + "/infer";
    }

    private static String tensorJson(String name, String shape, long[] values) {
        return "{\"name\":\"" + name + "\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":"
                + Arrays.toString(values).replace(" ", "") + "}";
    }
}
