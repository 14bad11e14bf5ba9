package io.salvo.worker.engine;

import io.salvo.proto.v1.OutcomeClass;
import io.salvo.worker.recording.LaneRecorder;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One event loop's share of the load: its own HTTP client (so connections live on this loop), its
 * slice of the in-flight cap, its backlog and its recorder lane.
 *
 * <p>Threading: {@link #offer(long, long)} is called by the scheduler thread; everything else runs
 * on this lane's event-loop context, so lane state needs no synchronisation beyond the handoff.
 */
final class Lane {

    /** Headers the model-server sends on every response; read per response for the detectors' marks. */
    static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";
    static final String INSTANCE_REQUEST_SEQ_HEADER = "Salvo-Instance-Request-Seq";
    static final String MODEL_LOAD_MS_HEADER = "Salvo-Model-Load-Ms";

    private final LoadEngine engine;
    private final Vertx vertx;
    private final Context context;
    private final LaneRecorder recorder;
    private final RequestShape shape;
    private final int cap;
    private final long timeoutNanos;
    private final List<String> capturedHeaders;
    private final HttpClient client;
    private final RequestOptions requestOptions;

    // Handoff from the scheduler thread, guarded by `handoff`.
    private final Object handoff = new Object();
    private LongPairQueue incoming = new LongPairQueue();
    private boolean drainScheduled;
    private LongPairQueue draining = new LongPairQueue();
    private final Handler<Void> drainTask = ignored -> drainIncoming();

    // Event-loop state.
    private int inFlight;
    /** (intended nanoTime, sequence) of requests waiting for a free in-flight slot, oldest first. */
    private final LongPairQueue backlog = new LongPairQueue();
    /** Sent exchanges in send order, so the oldest (the first to time out) is at the head. */
    private final ArrayDeque<Exchange> exchanges = new ArrayDeque<>();
    private long sweepTimerId = -1;

    Lane(LoadEngine engine, Vertx vertx, Context context, LaneRecorder recorder, RequestShape shape, int cap,
         int connections, EngineSettings settings) {
        this.engine = engine;
        this.vertx = vertx;
        this.context = context;
        this.recorder = recorder;
        this.shape = shape;
        this.cap = cap;
        this.timeoutNanos = settings.requestTimeoutNanos();
        this.capturedHeaders = settings.capturedHeaders();
        HttpClientOptions clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeoutMillis()))
                .setKeepAlive(true)
                .setTcpNoDelay(true);
        this.client = vertx.createHttpClient(clientOptions, new PoolOptions().setHttp1MaxSize(connections));
        this.requestOptions = shape.newRequestOptions(settings.connectTimeoutMillis());
    }

    /** Starts the timeout sweep on this lane's context. */
    Future<Void> start() {
        Promise<Void> started = Promise.promise();
        context.runOnContext(ignored -> {
            long periodMillis = Math.max(1, Math.min(10, timeoutNanos / 20 / 1_000_000));
            sweepTimerId = vertx.setPeriodic(periodMillis, id -> sweep(System.nanoTime()));
            started.complete();
        });
        return started.future();
    }

    /** Hands a due request to this lane. Called by the scheduler thread only. */
    void offer(long intendedNanos, long sequence) {
        boolean schedule;
        synchronized (handoff) {
            incoming.add(intendedNanos, sequence);
            schedule = !drainScheduled;
            drainScheduled = true;
        }
        if (schedule) {
            context.runOnContext(drainTask);
        }
    }

    private void drainIncoming() {
        LongPairQueue batch;
        synchronized (handoff) {
            batch = incoming;
            incoming = draining;
            draining = batch;
            drainScheduled = false;
        }
        while (!batch.isEmpty()) {
            admit(batch.peekFirst(), batch.peekSecond());
            batch.remove();
        }
    }

    private void admit(long intendedNanos, long sequence) {
        recorder.recordIntended();
        if (inFlight < cap && backlog.isEmpty()) {
            dispatch(intendedNanos, sequence);
        } else {
            recorder.recordCapHit();
            backlog.add(intendedNanos, sequence);
        }
    }

    private void dispatch(long intendedNanos, long sequence) {
        inFlight++;
        long sentNanos = recorder.recordSend(intendedNanos);
        Exchange exchange = new Exchange(intendedNanos, sentNanos, shape.body(sequence));
        exchanges.addLast(exchange);
        client.request(requestOptions).onComplete(exchange::onRequest);
    }

    private void pumpBacklog() {
        while (inFlight < cap && !backlog.isEmpty()) {
            long intended = backlog.peekFirst();
            long sequence = backlog.peekSecond();
            backlog.remove();
            dispatch(intended, sequence);
        }
    }

    private void finish(Exchange exchange, OutcomeClass outcome) {
        exchange.finished = true;
        inFlight--;
        recorder.recordCompletion(outcome, exchange.intendedNanos, exchange.sentNanos, exchange.headerValues,
                exchange.instanceId, exchange.instanceRequestSeq, exchange.modelLoadMillis);
        engine.requestDone();
        pumpBacklog();
    }

    /** Times out overdue exchanges and abandons backlog entries that waited past the timeout. */
    private void sweep(long now) {
        Exchange head;
        while ((head = exchanges.peekFirst()) != null && (head.finished || now - head.sentNanos >= timeoutNanos)) {
            exchanges.pollFirst();
            if (!head.finished) {
                expire(head);
            }
        }
        while (!backlog.isEmpty() && now - backlog.peekFirst() >= timeoutNanos) {
            long intended = backlog.peekFirst();
            backlog.remove();
            recorder.recordAbandoned(intended);
            engine.requestDone();
        }
        pumpBacklog();
    }

    private void expire(Exchange exchange) {
        HttpClientRequest request = exchange.request;
        finish(exchange, OutcomeClass.OUTCOME_CLASS_TIMEOUT);
        if (request != null) {
            request.reset(); // frees the connection; the failure it causes is ignored (finished)
        }
    }

    /** On stop: abandons every request still waiting for a slot. Runs on the lane context. */
    void abandonBacklog() {
        context.runOnContext(ignored -> {
            drainIncoming();
            while (!backlog.isEmpty()) {
                long intended = backlog.peekFirst();
                backlog.remove();
                recorder.recordAbandoned(intended);
                engine.requestDone();
            }
        });
    }

    /** On stop after the grace period: every exchange still in flight becomes a timeout. */
    void expireAll() {
        context.runOnContext(ignored -> {
            Exchange exchange;
            while ((exchange = exchanges.pollFirst()) != null) {
                if (!exchange.finished) {
                    expire(exchange);
                }
            }
        });
    }

    Future<Void> close() {
        Promise<Void> closed = Promise.promise();
        context.runOnContext(ignored -> {
            if (sweepTimerId >= 0) {
                vertx.cancelTimer(sweepTimerId);
            }
            client.close().onComplete(ar -> closed.complete());
        });
        return closed.future();
    }

    private static OutcomeClass classify(int status) {
        if (status >= 200 && status < 300) {
            return OutcomeClass.OUTCOME_CLASS_2XX;
        }
        if (status >= 500) {
            return OutcomeClass.OUTCOME_CLASS_5XX;
        }
        return OutcomeClass.OUTCOME_CLASS_4XX; // 1xx, 3xx and 4xx: "other", as the proto defines
    }

    /** A header's integer value, or -1 when it is missing, negative or not a number (never throws). */
    static long parseNonNegative(String value) {
        if (value == null || value.isEmpty() || value.length() > 18) {
            return -1;
        }
        long result = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            result = result * 10 + (c - '0');
        }
        return result;
    }

    /** One request on its way; callbacks run on the lane's event loop. */
    private final class Exchange {
        final long intendedNanos;
        final long sentNanos;
        final Buffer body;
        boolean finished;
        HttpClientRequest request;
        int status;
        String[] headerValues;
        /** From the response's instance headers; null / -1 when absent (no response, or another server). */
        String instanceId;
        long instanceRequestSeq = -1;
        long modelLoadMillis = -1;

        Exchange(long intendedNanos, long sentNanos, Buffer body) {
            this.intendedNanos = intendedNanos;
            this.sentNanos = sentNanos;
            this.body = body;
        }

        void onRequest(AsyncResult<HttpClientRequest> result) {
            if (finished) {
                if (result.succeeded()) {
                    result.result().reset(); // timed out while connecting: do not send it late
                }
                return;
            }
            if (result.failed()) {
                // No connection: refused, reset, unreachable or connect timeout.
                finish(this, OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR);
                return;
            }
            request = result.result();
            (body == null ? request.send() : request.send(body)).onComplete(this::onResponse);
        }

        void onResponse(AsyncResult<HttpClientResponse> result) {
            if (finished) {
                return;
            }
            if (result.failed()) {
                finish(this, OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR);
                return;
            }
            HttpClientResponse response = result.result();
            status = response.statusCode();
            if (!capturedHeaders.isEmpty()) {
                headerValues = new String[capturedHeaders.size()];
                for (int i = 0; i < headerValues.length; i++) {
                    headerValues[i] = response.getHeader(capturedHeaders.get(i));
                }
            }
            instanceId = response.getHeader(INSTANCE_ID_HEADER);
            if (instanceId != null) {
                instanceRequestSeq = parseNonNegative(response.getHeader(INSTANCE_REQUEST_SEQ_HEADER));
                modelLoadMillis = parseNonNegative(response.getHeader(MODEL_LOAD_MS_HEADER));
            }
            // No data handler: body bytes are discarded as they arrive; completion is the end.
            response.end().onComplete(this::onEnd);
        }

        void onEnd(AsyncResult<Void> result) {
            if (finished) {
                return;
            }
            finish(this, result.succeeded() ? classify(status) : OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR);
        }
    }
}
