package io.salvo.modelserver.serving;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.catalog.ModelKind;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.inference.Datatype;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.inference.TensorData;
import io.salvo.modelserver.metrics.ServingMetrics;
import io.salvo.modelserver.protocol.InferRequest;
import io.salvo.modelserver.protocol.PredictRequest;
import io.salvo.modelserver.protocol.ProtocolException;
import io.salvo.modelserver.protocol.RequestDecoder;
import io.salvo.modelserver.protocol.ResponseEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The transport-independent server: routes Open Inference Protocol requests, admits inference work into a bounded
 * pool, runs the model and stamps every response with the instance headers. The HTTP server and the Lambda handler
 * both call {@link #handle}, so they answer with the same bodies and headers.
 *
 * <p>Admission: at most {@code maxConcurrent} inferences run; at most {@code queueCapacity} wait; anything beyond is
 * answered 503 with {@code Retry-After} at once. Requests that arrive while the model is still loading are admitted
 * the same way and wait for it (like a serverless platform holding the request that triggered a cold start).
 * Every inference request has a deadline ({@code requestTimeoutMs} from arrival); past it the client gets 503 and
 * the ONNX Runtime run is told to terminate.
 */
public final class ServingCore implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ServingCore.class.getName());
    private static final String JSON = "application/json";
    /** A JSON header followed by raw tensor bytes (binary tensor data extension). */
    public static final String BINARY = "application/octet-stream";
    /** Length of the JSON header at the start of a body with binary tensor data. */
    public static final String INFERENCE_HEADER_LENGTH = "Inference-Header-Content-Length";

    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final String SERVER_VERSION = "0.1.0";
    /**
     * Native code runs on these threads (ONNX Runtime's environment set-up and, with one intra-op thread, every
     * kernel). Java's default 1 MB thread stack overflowed inside ONNX Runtime's start-up here (SIGSEGV, no hs_err),
     * so these threads get the 8 MB a native main thread has.
     */
    private static final long NATIVE_STACK_BYTES = 8L * 1024 * 1024;

    private final ServerConfig config;
    private final String modelName;
    private final ModelSource source;
    private final InstanceIdentity identity = new InstanceIdentity();
    private final ServingMetrics metrics;
    private final ThreadPoolExecutor inferencePool;
    private final DeadlineWatch deadlines;
    private final CompletableFuture<ModelSource.LoadReport> loaded = new CompletableFuture<>();
    private volatile RequestDecoder decoder;

    public ServingCore(ServerConfig config, ModelSource source) {
        this.config = config;
        this.modelName = config.modelName();
        this.source = source;
        this.metrics = new ServingMetrics(modelName);
        BlockingQueue<Runnable> queue = config.queueCapacity() == 0
                ? new SynchronousQueue<>()
                : new ArrayBlockingQueue<>(config.queueCapacity());
        AtomicInteger threadNumber = new AtomicInteger();
        this.inferencePool = new ThreadPoolExecutor(
                config.maxConcurrent(),
                config.maxConcurrent(),
                0,
                TimeUnit.MILLISECONDS,
                queue,
                runnable -> {
                    Thread thread = new Thread(
                            null, runnable, "inference-" + threadNumber.incrementAndGet(), NATIVE_STACK_BYTES);
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.AbortPolicy());
        this.deadlines =
                new DeadlineWatch(TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs()), "request-deadlines");
    }

    public InstanceIdentity identity() {
        return identity;
    }

    public ServerConfig config() {
        return config;
    }

    /** Completes when the model is loaded and warmed up, or exceptionally when that failed. */
    public CompletableFuture<ModelSource.LoadReport> loaded() {
        return loaded;
    }

    /** Loads the model on a background thread; call once. */
    public void startLoading() {
        Thread loader = new Thread(null, this::loadNow, "model-loader", NATIVE_STACK_BYTES);
        loader.setDaemon(true);
        loader.start();
    }

    /** Loads the model on the calling thread (the Lambda handler loads during its init phase). */
    public void loadNow() {
        try {
            ModelSource.LoadReport report = source.load();
            decoder = new RequestDecoder(report.model(), config.maxBatch());
            identity.modelLoaded(report.loadMillis());
            metrics.modelLoaded(report.loadMillis());
            LOG.info(() -> "model " + modelName + " ready: prepare " + report.prepareMillis() + " ms, load "
                    + report.loadMillis() + " ms, warm-up " + report.warmupMillis() + " ms");
            loaded.complete(report);
        } catch (Throwable e) {
            LOG.log(Level.SEVERE, e, () -> "model " + modelName + " failed to load");
            loaded.completeExceptionally(e);
        }
    }

    public boolean isReady() {
        return loaded.isDone() && !loaded.isCompletedExceptionally();
    }

    /** Answers one request; the future never completes exceptionally. */
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        String[] segments = segments(request.path());
        String method = request.method();
        try {
            if (segments.length == 1 && segments[0].equals("metrics")) {
                requireMethod(method, "GET");
                return done(
                        "metrics", respond(200, PROMETHEUS, metrics.scrape().getBytes(StandardCharsets.UTF_8), 0, 0));
            }
            if (segments.length == 0 || !segments[0].equals("v2")) {
                throw new ProtocolException(404, "no such endpoint: " + request.path());
            }
            if (segments.length == 1) {
                requireMethod(method, "GET");
                return done("server", json(200, ResponseEncoder.serverMetadata(SERVER_VERSION)));
            }
            if (segments.length == 3 && segments[1].equals("health")) {
                requireMethod(method, "GET");
                return switch (segments[2]) {
                    case "live" -> done("live", json(200, ResponseEncoder.flag("live", true)));
                    case "ready" -> done("ready", readiness());
                    default -> throw new ProtocolException(404, "no such endpoint: " + request.path());
                };
            }
            if (segments[1].equals("models") && segments.length >= 3) {
                return handleModel(request, segments);
            }
            throw new ProtocolException(404, "no such endpoint: " + request.path());
        } catch (ProtocolException e) {
            return done("other", error(e, 0, identity.inferenceRequestsSoFar()));
        }
    }

    /** A response for a request the transport refused before it reached the core (e.g. a body over the size limit). */
    public ApiResponse transportError(int status, String message) {
        metrics.recordRequest("transport", status);
        return respond(status, JSON, ResponseEncoder.error(message), 0, identity.inferenceRequestsSoFar());
    }

    private CompletableFuture<ApiResponse> handleModel(ApiRequest request, String[] segments) {
        String name = segments[2];
        int rest = 3;
        if (segments.length >= 5 && segments[3].equals("versions")) {
            if (!segments[4].equals(ResponseEncoder.MODEL_VERSION)) {
                throw new ProtocolException(
                        404,
                        "model '" + name + "' has no version '" + segments[4] + "'; the only version is "
                                + ResponseEncoder.MODEL_VERSION);
            }
            rest = 5;
        }
        if (!name.equals(modelName)) {
            throw new ProtocolException(
                    404, "model '" + name + "' is not served by this instance; it serves '" + modelName + "'");
        }
        String action = segments.length == rest ? "" : segments[rest];
        if (segments.length > rest + 1) {
            throw new ProtocolException(404, "no such endpoint: " + request.path());
        }
        switch (action) {
            case "" -> {
                requireMethod(request.method(), "GET");
                LoadedModel model = modelOrUnavailable();
                return done("metadata", json(200, ResponseEncoder.modelMetadata(model)));
            }
            case "ready" -> {
                requireMethod(request.method(), "GET");
                return done("model_ready", readiness());
            }
            case "infer", "predict" -> {
                requireMethod(request.method(), "POST");
                return submitInference(action, request.body());
            }
            default -> throw new ProtocolException(404, "no such endpoint: " + request.path());
        }
    }

    // The stages the whenComplete calls return are dropped: they are bookkeeping (metrics, the deadline watch) that
    // does not throw, and nothing would wait on them.
    @SuppressWarnings("FutureReturnValueIgnored")
    private CompletableFuture<ApiResponse> submitInference(String endpoint, byte[] body) {
        long sequence = identity.nextInferenceSequence();
        long arrivalNanos = System.nanoTime();
        long deadlineNanos = arrivalNanos + deadlines.timeoutNanos();
        CompletableFuture<ApiResponse> result = new CompletableFuture<>();
        RunControl run = new RunControl();
        metrics.inFlight().incrementAndGet();
        metrics.queued().incrementAndGet();
        result.whenComplete((response, failure) -> {
            metrics.inFlight().decrementAndGet();
            metrics.recordRequest(endpoint, response == null ? 500 : response.status());
        });
        try {
            inferencePool.execute(() -> {
                metrics.queued().decrementAndGet();
                runInference(endpoint, body, sequence, deadlineNanos, run, result);
            });
        } catch (RejectedExecutionException overloaded) {
            metrics.queued().decrementAndGet();
            run.close();
            result.complete(error(
                    new ProtocolException(
                            503,
                            "overloaded: " + config.maxConcurrent() + " inferences running and "
                                    + config.queueCapacity() + " waiting; retry later",
                            1),
                    0,
                    sequence));
            return result;
        }
        InFlight entry = new InFlight(deadlineNanos, sequence, result, run);
        deadlines.add(entry);
        result.whenComplete((response, failure) -> deadlines.remove(entry));
        return result;
    }

    /** An admitted inference request that has not been answered yet. */
    private final class InFlight implements DeadlineWatch.Entry {
        private final long deadlineNanos;
        private final long sequence;
        private final CompletableFuture<ApiResponse> result;
        private final RunControl run;

        InFlight(long deadlineNanos, long sequence, CompletableFuture<ApiResponse> result, RunControl run) {
            this.deadlineNanos = deadlineNanos;
            this.sequence = sequence;
            this.result = result;
            this.run = run;
        }

        @Override
        public long deadlineNanos() {
            return deadlineNanos;
        }

        @Override
        public void expire() {
            if (result.complete(error(
                    new ProtocolException(
                            503,
                            "request timed out after " + config.requestTimeoutMs() + " ms (SALVO_REQUEST_TIMEOUT_MS)",
                            1),
                    0,
                    sequence))) {
                run.terminate();
            }
        }
    }

    private void runInference(
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
            LoadedModel model = awaitModel(deadlineNanos);
            RequestDecoder requestDecoder = decoder;
            ApiResponse response = endpoint.equals("infer")
                    ? infer(model, requestDecoder.decodeInfer(body), sequence, run)
                    : predict(model, requestDecoder.decodePredict(body), sequence, run);
            result.complete(response);
        } catch (ProtocolException e) {
            result.complete(error(e, 0, sequence));
        } catch (TimeoutException e) {
            result.complete(error(
                    new ProtocolException(
                            503,
                            "request timed out after " + config.requestTimeoutMs()
                                    + " ms (SALVO_REQUEST_TIMEOUT_MS) waiting for model '" + modelName + "' to load",
                            1),
                    0,
                    sequence));
        } catch (Throwable e) {
            if (!result.isDone()) {
                LOG.log(Level.SEVERE, "inference failed", e);
                result.complete(error(new ProtocolException(500, "inference failed: " + e), 0, sequence));
            }
        } finally {
            run.close();
        }
    }

    private LoadedModel awaitModel(long deadlineNanos) throws TimeoutException, InterruptedException {
        try {
            return loaded.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .model();
        } catch (ExecutionException e) {
            throw new ProtocolException(500, "model '" + modelName + "' failed to load: " + e.getCause());
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
            return respond(200, JSON, body.body(), elapsed / 1000, sequence);
        }
        ApiResponse plain = respond(200, BINARY, body.body(), elapsed / 1000, sequence);
        Map<String, String> headers = new LinkedHashMap<>(plain.headers());
        headers.put(INFERENCE_HEADER_LENGTH, Integer.toString(body.headerLength()));
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
            return respond(200, JSON, body, elapsed / 1000, sequence);
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
        return respond(200, JSON, body, elapsed / 1000, sequence);
    }

    private LoadedModel modelOrUnavailable() {
        if (loaded.isCompletedExceptionally()) {
            throw new ProtocolException(500, "model '" + modelName + "' failed to load");
        }
        ModelSource.LoadReport report = loaded.getNow(null);
        if (report == null) {
            throw new ProtocolException(503, "model '" + modelName + "' is still loading", 1);
        }
        return report.model();
    }

    private ApiResponse readiness() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("model", modelName);
        if (isReady()) {
            return json(200, ResponseEncoder.readiness(true, details));
        }
        details.put("reason", loaded.isCompletedExceptionally() ? "model failed to load" : "model is loading");
        return respond(503, JSON, ResponseEncoder.readiness(false, details), 0, identity.inferenceRequestsSoFar());
    }

    private static void requireMethod(String actual, String expected) {
        if (!expected.equals(actual)) {
            throw new ProtocolException(405, "method " + actual + " not allowed here; use " + expected);
        }
    }

    private CompletableFuture<ApiResponse> done(String endpoint, ApiResponse response) {
        metrics.recordRequest(endpoint, response.status());
        return CompletableFuture.completedFuture(response);
    }

    private ApiResponse json(int status, byte[] body) {
        return respond(status, JSON, body, 0, identity.inferenceRequestsSoFar());
    }

    private ApiResponse error(ProtocolException e, long inferenceMicros, long sequence) {
        ApiResponse plain = respond(e.status(), JSON, ResponseEncoder.error(e.getMessage()), inferenceMicros, sequence);
        if (e.retryAfterSeconds() <= 0) {
            return plain;
        }
        Map<String, String> headers = new LinkedHashMap<>(plain.headers());
        headers.put("Retry-After", Integer.toString(e.retryAfterSeconds()));
        return new ApiResponse(plain.status(), Map.copyOf(headers), plain.body());
    }

    private ApiResponse respond(int status, String contentType, byte[] body, long inferenceMicros, long sequence) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", contentType);
        headers.put(InstanceIdentity.INSTANCE_ID, identity.id());
        headers.put(InstanceIdentity.STARTED_AT, Long.toString(identity.startedAtEpochMillis()));
        headers.put(InstanceIdentity.MODEL_LOAD_MS, Long.toString(identity.modelLoadMillis()));
        headers.put(InstanceIdentity.REQUEST_SEQ, Long.toString(sequence));
        headers.put(InstanceIdentity.INFERENCE_US, Long.toString(inferenceMicros));
        return new ApiResponse(status, headers, body);
    }

    private static String[] segments(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/", -1)) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts.toArray(new String[0]);
    }

    // The stage thenAccept returns is dropped: closing the model reports its own failure, and close() must not wait
    // for a model that is still loading.
    @SuppressWarnings("FutureReturnValueIgnored")
    @Override
    public void close() {
        inferencePool.shutdownNow();
        deadlines.close();
        loaded.thenAccept(report -> {
            try {
                report.model().close();
            } catch (OrtException e) {
                LOG.log(Level.WARNING, "closing the model failed", e);
            }
        });
    }

    /**
     * The ONNX Runtime run options of one request. The deadline timer may terminate a run from another thread while
     * the inference thread finishes and frees the native options; the lock keeps the two from crossing.
     */
    private static final class RunControl {
        private OrtSession.RunOptions options;
        private boolean closed;

        synchronized OrtSession.RunOptions options() throws OrtException {
            if (closed) {
                throw new IllegalStateException("request already answered");
            }
            if (options == null) {
                options = new OrtSession.RunOptions();
            }
            return options;
        }

        synchronized void terminate() {
            if (!closed && options != null) {
                try {
                    options.setTerminate(true);
                } catch (OrtException e) {
                    LOG.log(Level.WARNING, "could not terminate a timed-out run", e);
                }
            }
        }

        synchronized void close() {
            closed = true;
            if (options != null) {
                options.close();
                options = null;
            }
        }
    }
}
