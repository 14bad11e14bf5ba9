package io.salvo.worker.engine;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.worker.recording.LaneRecorder;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One event loop's share of the load. The lane drives itself: it takes its instants from the
 * {@link ScheduleDealer}, sends everything due in one pass and re-arms a nanosecond timer on its
 * own Netty event loop for its next instant, so no other thread wakes it per request. It has its
 * own HTTP client (connections live on this loop), its slice of the in-flight and connection caps,
 * its backlog, a one-shot timeout timer and its recorder lane.
 *
 * <p>Threading: everything except the constructor runs on this lane's event-loop context; the
 * engine reaches the lane through {@link #onContext}. {@link #outstanding()} and
 * {@link #intended()} are published for other threads with ordered stores.
 */
final class Lane {

    /** Headers the model-server sends on every response; read per response for the detectors' marks. */
    static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";
    static final String INSTANCE_REQUEST_SEQ_HEADER = "Salvo-Instance-Request-Seq";
    static final String MODEL_LOAD_MS_HEADER = "Salvo-Model-Load-Ms";

    /** Idle keep-alive connections are closed after this long, so a burst does not leave the pool at its cap. */
    static final int KEEP_ALIVE_TIMEOUT_SECONDS = 5;

    private final LoadEngine engine;
    private final int index;
    private final int laneCount;
    private final ScheduleDealer dealer;
    private final long startNanos;
    private final ContextInternal context;
    private final EventLoop eventLoop;
    private final LaneRecorder recorder;
    private final RequestShape shape;
    private final int cap;
    private final long timeoutNanos;
    private final List<String> capturedHeaders;
    private final HttpClient client;
    private final RequestOptions requestOptions;

    // Event-loop state.
    /** Instants (from run start) taken from the dealer in the current pass. */
    private final LongQueue due = new LongQueue();
    private final Runnable sendTimerTask = () -> dispatchOnContext(this::onSendTimer);
    private final Runnable timeoutTimerTask = () -> dispatchOnContext(this::onTimeoutTimer);
    private ScheduledFuture<?> sendTimer;
    private ScheduledFuture<?> timeoutTimer;
    private boolean schedulingDone;
    private boolean done;
    private long requestsOfLane;
    private int inFlight;
    /** (intended nanoTime, sequence) of requests waiting for a free in-flight slot, oldest first. */
    private final LongPairQueue backlog = new LongPairQueue();
    /**
     * Sent exchanges in send order, so the oldest (the first to time out) is at the head. Finished
     * exchanges leave from the head as soon as they get there, so it holds little more than the
     * requests in flight.
     */
    private final ArrayDeque<Exchange> exchanges = new ArrayDeque<>();

    // Published for other threads (single writer: this lane's event loop).
    private final AtomicLong publishedIntended = new AtomicLong();
    private final AtomicLong publishedOutstanding = new AtomicLong();

    Lane(LoadEngine engine, int index, int laneCount, ScheduleDealer dealer, long startNanos, Vertx vertx,
         ContextInternal context, LaneRecorder recorder, RequestShape shape, int cap, int connections,
         EngineSettings settings) {
        this.engine = engine;
        this.index = index;
        this.laneCount = laneCount;
        this.dealer = dealer;
        this.startNanos = startNanos;
        this.context = context;
        this.eventLoop = context.nettyEventLoop();
        this.recorder = recorder;
        this.shape = shape;
        this.cap = cap;
        this.timeoutNanos = settings.requestTimeoutNanos();
        this.capturedHeaders = settings.capturedHeaders();
        HttpClientOptions clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeoutMillis()))
                .setKeepAlive(true)
                .setKeepAliveTimeout(KEEP_ALIVE_TIMEOUT_SECONDS)
                .setTcpNoDelay(true);
        this.client = vertx.createHttpClient(clientOptions, new PoolOptions().setHttp1MaxSize(connections));
        this.requestOptions = shape.newRequestOptions(settings.connectTimeoutMillis());
    }

    /** Runs {@code action} on this lane's context. */
    void onContext(Runnable action) {
        context.runOnContext(ignored -> action.run());
    }

    /** Takes the first instants (arming the send timer for the first one) on this lane's context. */
    Future<Void> start() {
        Promise<Void> started = Promise.promise();
        onContext(() -> {
            sendDue();
            started.complete();
        });
        return started.future();
    }

    /** Requests this lane has taken from the schedule so far (intended so far). */
    long intended() {
        return publishedIntended.get();
    }

    /** Requests in flight or waiting for a slot on this lane. */
    long outstanding() {
        return publishedOutstanding.get();
    }

    /**
     * Netty runs scheduled tasks with no Vert.x context current; the HTTP client needs this lane's
     * (else it would make a new context, possibly on another event loop).
     */
    private void dispatchOnContext(Runnable action) {
        context.dispatch(action);
    }

    private void onSendTimer() {
        sendTimer = null;
        sendDue();
    }

    /**
     * Sends every instant of this lane that is due, then arms the send timer for the next one.
     * A lane that woke late sends what it missed in one burst; latency still runs from each
     * request's intended instant.
     */
    private void sendDue() {
        if (schedulingDone) {
            return;
        }
        while (true) {
            long next = dealer.takeDue(index, System.nanoTime() - startNanos, due);
            while (!due.isEmpty()) {
                admit(startNanos + due.poll());
            }
            if (next == ScheduleDealer.EXHAUSTED) {
                schedulingDone = true;
                publish();
                checkDone();
                return;
            }
            long delay = startNanos + next - System.nanoTime();
            if (delay > 0) {
                sendTimer = eventLoop.schedule(sendTimerTask, delay, TimeUnit.NANOSECONDS);
                return;
            }
            // The next instant came due while this pass was sending: take it now.
        }
    }

    /** After a re-slice: the armed instant may be gone or a new one may come earlier. */
    void rearm() {
        cancelSendTimer();
        sendDue();
    }

    private void cancelSendTimer() {
        if (sendTimer != null) {
            sendTimer.cancel(false);
            sendTimer = null;
        }
    }

    private void admit(long intendedNanos) {
        recorder.recordIntended();
        long sequence = requestsOfLane++ * laneCount + index; // the worker's request number while dealt round-robin
        if (inFlight < cap && backlog.isEmpty()) {
            dispatch(intendedNanos, sequence);
        } else {
            recorder.recordCapHit();
            backlog.add(intendedNanos, sequence);
            ensureTimeoutTimer();
        }
        publish();
    }

    private void dispatch(long intendedNanos, long sequence) {
        inFlight++;
        long sentNanos = recorder.recordSend(intendedNanos);
        Exchange exchange = new Exchange(intendedNanos, sentNanos, shape.body(sequence));
        exchanges.addLast(exchange);
        ensureTimeoutTimer();
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
        Exchange head;
        while ((head = exchanges.peekFirst()) != null && head.finished) {
            exchanges.pollFirst();
        }
        pumpBacklog();
        publish();
        checkDone();
    }

    private void publish() {
        publishedIntended.lazySet(requestsOfLane);
        publishedOutstanding.lazySet(inFlight + backlog.size());
    }

    private void checkDone() {
        if (schedulingDone && !done && inFlight == 0 && backlog.isEmpty()) {
            done = true;
            cancelTimeoutTimer();
            engine.laneDone();
        }
    }

    /**
     * Arms the timeout timer for the earliest deadline when none is armed. Deadlines only grow
     * (sends and backlog entries are in time order), so an armed timer is never too late; when it
     * fires for a request that has finished meanwhile it just re-arms for the new oldest one. So
     * timeouts are detected at their deadline (to the timer's resolution) at the cost of about one
     * wake-up per timeout period, not a periodic sweep.
     */
    private void ensureTimeoutTimer() {
        if (timeoutTimer == null) {
            armTimeoutTimer();
        }
    }

    private void armTimeoutTimer() {
        long deadline = Long.MAX_VALUE;
        Exchange head;
        while ((head = exchanges.peekFirst()) != null && head.finished) {
            exchanges.pollFirst();
        }
        if (head != null) {
            deadline = head.sentNanos + timeoutNanos;
        }
        if (!backlog.isEmpty()) {
            deadline = Math.min(deadline, backlog.peekFirst() + timeoutNanos);
        }
        if (deadline != Long.MAX_VALUE) {
            timeoutTimer = eventLoop.schedule(timeoutTimerTask, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelTimeoutTimer() {
        if (timeoutTimer != null) {
            timeoutTimer.cancel(false);
            timeoutTimer = null;
        }
    }

    private void onTimeoutTimer() {
        timeoutTimer = null;
        expireOverdue(System.nanoTime()); // may arm a new timer already, through a backlog send
        ensureTimeoutTimer();
        publish();
        checkDone();
    }

    /** Times out overdue exchanges and abandons backlog entries that waited past the timeout. */
    private void expireOverdue(long now) {
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

    /** On stop: no more sends; abandons every request still waiting for a slot. Lane context only. */
    void stopScheduling() {
        cancelSendTimer();
        schedulingDone = true;
        while (!backlog.isEmpty()) {
            long intended = backlog.peekFirst();
            backlog.remove();
            recorder.recordAbandoned(intended);
        }
        publish();
        checkDone();
    }

    /** On stop after the grace period: every exchange still in flight becomes a timeout. Lane context only. */
    void expireAll() {
        Exchange exchange;
        while ((exchange = exchanges.pollFirst()) != null) {
            if (!exchange.finished) {
                expire(exchange);
            }
        }
    }

    Future<Void> close() {
        Promise<Void> closed = Promise.promise();
        onContext(() -> {
            cancelSendTimer();
            cancelTimeoutTimer();
            schedulingDone = true;
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
