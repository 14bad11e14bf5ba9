package io.salvo.modelserver.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Effective configuration of one model-server process, read from environment variables so that every
 * platform (Kubernetes, Cloud Run, Lambda, the local emulator) can set it the same way.
 *
 * @param bindHost            address the HTTP server binds to
 * @param bindRule            why that address was chosen (logged, so a surprising bind is explainable)
 * @param port                TCP port; 0 picks a free one (reported in the ready line)
 * @param modelName           the single model this instance serves
 * @param modelDir            cache directory holding prepared models, one sub-directory per model
 * @param intraOpThreads      ONNX Runtime threads used inside one operator (per inference)
 * @param interOpThreads      ONNX Runtime threads used across independent operators
 * @param intraOpSpinning     whether idle ONNX Runtime pool threads busy-wait for work (off: they would take CPU
 *                            from the HTTP event loop and from neighbouring instances between requests)
 * @param maxConcurrent       inferences running at the same time
 * @param queueCapacity       inference requests allowed to wait for a free slot; beyond that: 503
 * @param maxBodyBytes        largest accepted request body
 * @param requestTimeoutMs    from arrival to response; past it the request gets 503 and its run is terminated
 * @param maxBatch            largest batch (first dimension, or number of texts) in one request
 */
public record ServerConfig(
        String bindHost,
        String bindRule,
        int port,
        String modelName,
        Path modelDir,
        int intraOpThreads,
        int interOpThreads,
        boolean intraOpSpinning,
        int maxConcurrent,
        int queueCapacity,
        int maxBodyBytes,
        long requestTimeoutMs,
        int maxBatch) {

    public static final String DEFAULT_MODEL = "minilm";
    public static final int DEFAULT_PORT = 8080;

    public ServerConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("PORT must be in 0..65535, got " + port);
        }
        requirePositive("SALVO_INTRA_OP_THREADS", intraOpThreads);
        requirePositive("SALVO_INTER_OP_THREADS", interOpThreads);
        requirePositive("SALVO_MAX_CONCURRENT", maxConcurrent);
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("SALVO_QUEUE_CAPACITY must be >= 0, got " + queueCapacity);
        }
        requirePositive("SALVO_MAX_BODY_BYTES", maxBodyBytes);
        requirePositive("SALVO_REQUEST_TIMEOUT_MS", requestTimeoutMs);
        requirePositive("SALVO_MAX_BATCH", maxBatch);
    }

    public static ServerConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** Reads the configuration from {@code env}; unknown variables are ignored, malformed values are an error. */
    public static ServerConfig fromEnvironment(Map<String, String> env) {
        String bindHost;
        String bindRule;
        if (present(env, "SALVO_BIND")) {
            bindHost = env.get("SALVO_BIND").trim();
            bindRule = "SALVO_BIND";
        } else if (present(env, "K_SERVICE")) {
            // Cloud Run and Knative set K_SERVICE; their proxies reach the container from outside loopback.
            bindHost = "0.0.0.0";
            bindRule = "K_SERVICE is set (Cloud Run / Knative)";
        } else if (present(env, "KUBERNETES_SERVICE_HOST")) {
            bindHost = "0.0.0.0";
            bindRule = "KUBERNETES_SERVICE_HOST is set (Kubernetes pod)";
        } else {
            bindHost = "127.0.0.1";
            bindRule = "default (loopback only)";
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        String home = System.getProperty("user.home", ".");
        Path modelDir = present(env, "SALVO_MODEL_DIR")
                ? Path.of(env.get("SALVO_MODEL_DIR").trim())
                : Path.of(home, ".cache", "salvo", "models");
        return new ServerConfig(
                bindHost,
                bindRule,
                intValue(env, "PORT", DEFAULT_PORT),
                present(env, "SALVO_MODEL") ? env.get("SALVO_MODEL").trim() : DEFAULT_MODEL,
                modelDir,
                intValue(env, "SALVO_INTRA_OP_THREADS", 1),
                intValue(env, "SALVO_INTER_OP_THREADS", 1),
                present(env, "SALVO_INTRA_OP_SPINNING")
                        && Boolean.parseBoolean(
                                env.get("SALVO_INTRA_OP_SPINNING").trim()),
                intValue(env, "SALVO_MAX_CONCURRENT", cpus),
                intValue(env, "SALVO_QUEUE_CAPACITY", 64),
                intValue(env, "SALVO_MAX_BODY_BYTES", 4 * 1024 * 1024),
                intValue(env, "SALVO_REQUEST_TIMEOUT_MS", 30_000),
                intValue(env, "SALVO_MAX_BATCH", 32));
    }

    /** The configuration as ordered key/value pairs for the start-up log line. */
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bind", bindHost + " (" + bindRule + ")");
        out.put("port", port);
        out.put("model", modelName);
        out.put("modelDir", modelDir);
        out.put("intraOpThreads", intraOpThreads);
        out.put("interOpThreads", interOpThreads);
        out.put("intraOpSpinning", intraOpSpinning);
        out.put("maxConcurrent", maxConcurrent);
        out.put("queueCapacity", queueCapacity);
        out.put("maxBodyBytes", maxBodyBytes);
        out.put("requestTimeoutMs", requestTimeoutMs);
        out.put("maxBatch", maxBatch);
        return out;
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(
                bindHost,
                bindRule,
                newPort,
                modelName,
                modelDir,
                intraOpThreads,
                interOpThreads,
                intraOpSpinning,
                maxConcurrent,
                queueCapacity,
                maxBodyBytes,
                requestTimeoutMs,
                maxBatch);
    }

    private static boolean present(Map<String, String> env, String key) {
        String value = env.get(key);
        return value != null && !value.isBlank();
    }

    private static int intValue(Map<String, String> env, String key, int defaultValue) {
        if (!present(env, key)) {
            return defaultValue;
        }
        String raw = env.get(key).trim();
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + raw + "'", e);
        }
    }

    private static void requirePositive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, got " + value);
        }
    }
}
