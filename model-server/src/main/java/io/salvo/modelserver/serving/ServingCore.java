package io.salvo.modelserver.serving;

import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.metrics.ServingMetrics;
import io.salvo.modelserver.protocol.ProtocolException;
import io.salvo.modelserver.protocol.ResponseEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

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
 *
 * <p>This class routes and answers what needs no inference; the parts are {@link ServedModel} (loading, readiness),
 * {@link InferenceAdmission} (pool, queue, deadlines), {@link InferenceRunner} (one inference request on its thread)
 * and {@link Responses} (the instance headers).
 */
public final class ServingCore implements AutoCloseable {

    /** A JSON header followed by raw tensor bytes (binary tensor data extension). */
    public static final String BINARY = "application/octet-stream";
    /** Length of the JSON header at the start of a body with binary tensor data. */
    public static final String INFERENCE_HEADER_LENGTH = "Inference-Header-Content-Length";

    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final String SERVER_VERSION = "0.1.0";

    private final ServerConfig config;
    private final String modelName;
    private final InstanceIdentity identity = new InstanceIdentity();
    private final ServingMetrics metrics;
    private final Responses responses = new Responses(identity);
    private final ServedModel served;
    private final InferenceAdmission admission;

    public ServingCore(ServerConfig config, ModelSource source) {
        this.config = config;
        this.modelName = config.modelName();
        this.metrics = new ServingMetrics(modelName);
        this.served = new ServedModel(modelName, config.maxBatch(), source, identity, metrics);
        this.admission = new InferenceAdmission(
                config,
                identity,
                metrics,
                responses,
                new InferenceRunner(modelName, config.requestTimeoutMs(), served, metrics, responses));
    }

    public InstanceIdentity identity() {
        return identity;
    }

    public ServerConfig config() {
        return config;
    }

    /** Completes when the model is loaded and warmed up, or exceptionally when that failed. */
    public CompletableFuture<ModelSource.LoadReport> loaded() {
        return served.loaded();
    }

    /** Loads the model on a background thread; call once. */
    public void startLoading() {
        served.startLoading();
    }

    /** Loads the model on the calling thread (the Lambda handler loads during its init phase). */
    public void loadNow() {
        served.loadNow();
    }

    public boolean isReady() {
        return served.isReady();
    }

    /** Answers one request; the future never completes exceptionally. */
    public CompletableFuture<ApiResponse> handle(ApiRequest request) {
        String[] segments = segments(request.path());
        String method = request.method();
        try {
            if (segments.length == 1 && segments[0].equals("metrics")) {
                requireMethod(method, "GET");
                return done(
                        "metrics",
                        responses.respond(200, PROMETHEUS, metrics.scrape().getBytes(StandardCharsets.UTF_8), 0, 0));
            }
            if (segments.length == 0 || !segments[0].equals("v2")) {
                throw new ProtocolException(404, "no such endpoint: " + request.path());
            }
            if (segments.length == 1) {
                requireMethod(method, "GET");
                return done("server", responses.json(200, ResponseEncoder.serverMetadata(SERVER_VERSION)));
            }
            if (segments.length == 3 && segments[1].equals("health")) {
                requireMethod(method, "GET");
                return switch (segments[2]) {
                    case "live" -> done("live", responses.json(200, ResponseEncoder.flag("live", true)));
                    case "ready" -> done("ready", readiness());
                    default -> throw new ProtocolException(404, "no such endpoint: " + request.path());
                };
            }
            if (segments[1].equals("models") && segments.length >= 3) {
                return handleModel(request, segments);
            }
            throw new ProtocolException(404, "no such endpoint: " + request.path());
        } catch (ProtocolException e) {
            return done("other", responses.error(e, 0, identity.inferenceRequestsSoFar()));
        }
    }

    /** A response for a request the transport refused before it reached the core (e.g. a body over the size limit). */
    public ApiResponse transportError(int status, String message) {
        metrics.recordRequest("transport", status);
        return responses.json(status, ResponseEncoder.error(message));
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
                LoadedModel model = served.orUnavailable();
                return done("metadata", responses.json(200, ResponseEncoder.modelMetadata(model)));
            }
            case "ready" -> {
                requireMethod(request.method(), "GET");
                return done("model_ready", readiness());
            }
            case "infer", "predict" -> {
                requireMethod(request.method(), "POST");
                return admission.submit(action, request.body());
            }
            default -> throw new ProtocolException(404, "no such endpoint: " + request.path());
        }
    }

    private ApiResponse readiness() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("model", modelName);
        if (isReady()) {
            return responses.json(200, ResponseEncoder.readiness(true, details));
        }
        details.put("reason", served.failed() ? "model failed to load" : "model is loading");
        return responses.json(503, ResponseEncoder.readiness(false, details));
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

    private static String[] segments(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/", -1)) {
            if (!part.isEmpty()) {
                parts.add(part);
            }
        }
        return parts.toArray(new String[0]);
    }

    @Override
    public void close() {
        admission.close();
        served.close();
    }
}
