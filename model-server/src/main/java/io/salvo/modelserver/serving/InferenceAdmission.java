package io.salvo.modelserver.serving;

import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.metrics.ServingMetrics;
import io.salvo.modelserver.protocol.ProtocolException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission of inference requests: a fixed pool of {@code maxConcurrent} inference threads behind a queue of
 * {@code queueCapacity} places; a request beyond both is answered 503 with {@code Retry-After} at once. Every
 * admitted request has a deadline ({@code requestTimeoutMs} from arrival), kept by one {@link DeadlineWatch}: past
 * it the client gets 503 and the request's ONNX Runtime run is told to terminate.
 *
 * <p>Assumptions and guarantees: thread-safe. Every request gets its sequence number on arrival, whatever its
 * outcome, and exactly one answer (the first of its run, its deadline or the overload refusal).
 */
final class InferenceAdmission implements AutoCloseable {

    private final ServerConfig config;
    private final InstanceIdentity identity;
    private final ServingMetrics metrics;
    private final Responses responses;
    private final InferenceRunner runner;
    private final ThreadPoolExecutor inferencePool;
    private final DeadlineWatch deadlines;

    InferenceAdmission(
            ServerConfig config,
            InstanceIdentity identity,
            ServingMetrics metrics,
            Responses responses,
            InferenceRunner runner) {
        this.config = config;
        this.identity = identity;
        this.metrics = metrics;
        this.responses = responses;
        this.runner = runner;
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
                runnable -> NativeThreads.daemon(runnable, "inference-" + threadNumber.incrementAndGet()),
                new ThreadPoolExecutor.AbortPolicy());
        this.deadlines =
                new DeadlineWatch(TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs()), "request-deadlines");
    }

    /** Admits one {@code /infer} or {@code /predict} request ({@code endpoint}); the future never fails. */
    // The stages the whenComplete calls return are dropped: they are bookkeeping (metrics, the deadline watch) that
    // does not throw, and nothing would wait on them.
    @SuppressWarnings("FutureReturnValueIgnored")
    CompletableFuture<ApiResponse> submit(String endpoint, byte[] body) {
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
                runner.run(endpoint, body, sequence, deadlineNanos, run, result);
            });
        } catch (RejectedExecutionException overloaded) {
            metrics.queued().decrementAndGet();
            run.close();
            result.complete(responses.error(
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

    @Override
    public void close() {
        inferencePool.shutdownNow();
        deadlines.close();
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
            if (result.complete(responses.error(
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
}
