package io.salvo.modelserver.serving;

import ai.onnxruntime.OrtException;
import io.salvo.modelserver.catalog.ModelKind;
import io.salvo.modelserver.inference.Datatype;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.inference.TensorData;
import io.salvo.modelserver.metrics.ServingMetrics;
import io.salvo.modelserver.protocol.InferRequest;
import io.salvo.modelserver.protocol.PredictRequest;
import io.salvo.modelserver.protocol.ProtocolException;
import io.salvo.modelserver.protocol.RequestDecoder;
import io.salvo.modelserver.protocol.ResponseEncoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What an admitted {@code /infer} or {@code /predict} request does once it has an inference thread: waits for the
 * model if it is still loading, decodes the body, runs the model, records the time in it and encodes the answer;
 * every failure becomes an error response (a client's mistake 400, a timeout 503, anything else 500).
 *
 * <p>Thread-safe: each call works on its own request.
 */
final class InferenceRunner {

    // Under the core's name, as before this class was split from it: the server's log lines show the logger name.
    private static final Logger LOG = Logger.getLogger(ServingCore.class.getName());

    private final String modelName;
    private final long requestTimeoutMs;
    private final ServedModel served;
    private final ServingMetrics metrics;
    private final Responses responses;

    InferenceRunner(
            String modelName, long requestTimeoutMs, ServedModel served, ServingMetrics metrics, Responses responses) {
        this.modelName = modelName;
        this.requestTimeoutMs = requestTimeoutMs;
        this.served = served;
        this.metrics = metrics;
        this.responses = responses;
    }

    /** Answers the request into {@code result}, unless its deadline answered it first; frees {@code run} at the end. */
    void run(
            String endpoint,
            byte[] body,
            long sequence,
            long deadlineNanos,
            RunControl run,
            CompletableFuture<ApiResponse> result) {
        try {
            if (result.isDone()) {
                return; // answered by the deadline while it waited in the queue
            }
            LoadedModel model = served.await(deadlineNanos);
            RequestDecoder requestDecoder = served.decoder();
            ApiResponse response = endpoint.equals("infer")
                    ? infer(model, requestDecoder.decodeInfer(body), sequence, run)
                    : predict(model, requestDecoder.decodePredict(body), sequence, run);
            result.complete(response);
        } catch (ProtocolException e) {
            result.complete(responses.error(e, 0, sequence));
        } catch (TimeoutException e) {
            result.complete(responses.error(
                    new ProtocolException(
                            503,
                            "request timed out after " + requestTimeoutMs
                                    + " ms (SALVO_REQUEST_TIMEOUT_MS) waiting for model '" + modelName + "' to load",
                            1),
                    0,
                    sequence));
        } catch (Throwable e) {
            if (!result.isDone()) {
                LOG.log(Level.SEVERE, "inference failed", e);
                result.complete(responses.error(new ProtocolException(500, "inference failed: " + e), 0, sequence));
            }
        } finally {
            run.close();
        }
    }

    private ApiResponse infer(LoadedModel model, InferRequest request, long sequence, RunControl run)
            throws OrtException {
        long start = System.nanoTime();
        List<TensorData> outputs;
        if (request.texts().isPresent()) {
            float[][] embeddings = model.embed(request.texts().get(), run.options());
            int width = embeddings[0].length;
            float[] flat = new float[embeddings.length * width];
            for (int i = 0; i < embeddings.length; i++) {
                System.arraycopy(embeddings[i], 0, flat, i * width, width);
            }
            outputs = List.of(new TensorData("embedding", Datatype.FP32, new long[] {embeddings.length, width}, flat));
        } else {
            outputs = model.run(request.inputs(), request.requestedOutputs(), run.options());
        }
        long elapsed = System.nanoTime() - start;
        metrics.recordInference(elapsed);
        ResponseEncoder.InferBody body =
                ResponseEncoder.inferResponse(modelName, request.id(), outputs, request::binary);
        if (!body.hasBinaryData()) {
            return responses.respond(200, Responses.JSON, body.body(), elapsed / 1000, sequence);
        }
        ApiResponse plain = responses.respond(200, ServingCore.BINARY, body.body(), elapsed / 1000, sequence);
        Map<String, String> headers = new LinkedHashMap<>(plain.headers());
        headers.put(ServingCore.INFERENCE_HEADER_LENGTH, Integer.toString(body.headerLength()));
        return new ApiResponse(200, headers, plain.body());
    }

    private ApiResponse predict(LoadedModel model, PredictRequest request, long sequence, RunControl run)
            throws OrtException {
        long start = System.nanoTime();
        byte[] body;
        if (model.descriptor().kind() == ModelKind.TEXT_ENCODER) {
            float[][] embeddings = model.embed(request.tokenIds(), run.options());
            long elapsed = System.nanoTime() - start;
            metrics.recordInference(elapsed);
            int[] tokenCounts = new int[request.tokenIds().size()];
            for (int i = 0; i < tokenCounts.length; i++) {
                tokenCounts[i] = request.tokenIds().get(i).length;
            }
            body = ResponseEncoder.embeddings(modelName, embeddings, tokenCounts);
            return responses.respond(200, Responses.JSON, body, elapsed / 1000, sequence);
        }
        List<float[]> rows = request.featureRows();
        int features = rows.get(0).length;
        float[] flat = new float[rows.size() * features];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * features, features);
        }
        String inputName = model.inputs().get(0).name();
        List<TensorData> outputs = model.run(
                List.of(new TensorData(inputName, Datatype.FP32, new long[] {rows.size(), features}, flat)),
                Set.of(),
                run.options());
        long elapsed = System.nanoTime() - start;
        metrics.recordInference(elapsed);
        TensorData probabilities = outputs.stream()
                .filter(t -> t.datatype() == Datatype.FP32)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("classifier has no FP32 output"));
        int classes = (int) probabilities.shape()[1];
        float[][] perRow = new float[rows.size()][classes];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(probabilities.floats(), i * classes, perRow[i], 0, classes);
        }
        body = ResponseEncoder.classifications(modelName, model.labels(), perRow);
        return responses.respond(200, Responses.JSON, body, elapsed / 1000, sequence);
    }
}
