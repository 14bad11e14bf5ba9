package io.salvo.modelserver.serving;

import ai.onnxruntime.OrtException;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.metrics.ServingMetrics;
import io.salvo.modelserver.protocol.ProtocolException;
import io.salvo.modelserver.protocol.RequestDecoder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one model an instance serves, from loading to closing: loads it once (on a thread of its own or the caller's),
 * records what that cost, and gives it to requests — at once for metadata (503 while loading), or after waiting up to
 * a request's deadline for inference (requests that arrive during a cold start wait for the model).
 *
 * <p>Assumptions and guarantees: thread-safe. The decoder for the model's inputs is set before {@link #loaded()}
 * completes, so whoever got the model from this class may use {@link #decoder()}.
 */
final class ServedModel {

    // Under the core's name, as before this class was split from it: the server's log lines show the logger name.
    private static final Logger LOG = Logger.getLogger(ServingCore.class.getName());

    private final String name;
    private final int maxBatch;
    private final ModelSource source;
    private final InstanceIdentity identity;
    private final ServingMetrics metrics;
    private final CompletableFuture<ModelSource.LoadReport> loaded = new CompletableFuture<>();
    private volatile RequestDecoder decoder;

    ServedModel(String name, int maxBatch, ModelSource source, InstanceIdentity identity, ServingMetrics metrics) {
        this.name = name;
        this.maxBatch = maxBatch;
        this.source = source;
        this.identity = identity;
        this.metrics = metrics;
    }

    /** Completes when the model is loaded and warmed up, or exceptionally when that failed. */
    CompletableFuture<ModelSource.LoadReport> loaded() {
        return loaded;
    }

    /** Loads the model on a background thread; call once. */
    void startLoading() {
        NativeThreads.daemon(this::loadNow, "model-loader").start();
    }

    /** Loads the model on the calling thread. */
    void loadNow() {
        try {
            ModelSource.LoadReport report = source.load();
            decoder = new RequestDecoder(report.model(), maxBatch);
            identity.modelLoaded(report.loadMillis());
            metrics.modelLoaded(report.loadMillis());
            LOG.info(() -> "model " + name + " ready: prepare " + report.prepareMillis() + " ms, load "
                    + report.loadMillis() + " ms, warm-up " + report.warmupMillis() + " ms");
            loaded.complete(report);
        } catch (Throwable e) {
            LOG.log(Level.SEVERE, e, () -> "model " + name + " failed to load");
            loaded.completeExceptionally(e);
        }
    }

    boolean isReady() {
        return loaded.isDone() && !loaded.isCompletedExceptionally();
    }

    boolean failed() {
        return loaded.isCompletedExceptionally();
    }

    /** The model now: 500 if it failed to load, 503 (retry in a second) while it is loading. */
    LoadedModel orUnavailable() {
        if (loaded.isCompletedExceptionally()) {
            throw new ProtocolException(500, "model '" + name + "' failed to load");
        }
        ModelSource.LoadReport report = loaded.getNow(null);
        if (report == null) {
            throw new ProtocolException(503, "model '" + name + "' is still loading", 1);
        }
        return report.model();
    }

    /**
     * The model, waiting for it until {@code deadlineNanos} ({@link System#nanoTime()} clock).
     *
     * @throws ProtocolException 500 when it failed to load
     */
    LoadedModel await(long deadlineNanos) throws TimeoutException, InterruptedException {
        try {
            return loaded.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .model();
        } catch (ExecutionException e) {
            throw new ProtocolException(500, "model '" + name + "' failed to load: " + e.getCause());
        }
    }

    /** Decodes requests for the loaded model; set once the model is. */
    RequestDecoder decoder() {
        return decoder;
    }

    // The stage thenAccept returns is dropped: closing the model reports its own failure, and close() must not wait
    // for a model that is still loading.
    @SuppressWarnings("FutureReturnValueIgnored")
    void close() {
        loaded.thenAccept(report -> {
            try {
                report.model().close();
            } catch (OrtException e) {
                LOG.log(Level.WARNING, "closing the model failed", e);
            }
        });
    }
}
