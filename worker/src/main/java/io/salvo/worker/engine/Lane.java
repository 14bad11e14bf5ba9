package io.salvo.worker.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.worker.http.ConnectionPool;
import io.salvo.worker.http.HttpExchange;
import io.salvo.worker.recording.LaneRecorder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One event loop's share of the load. The lane drives itself: it takes its instants from the
 * {@link ScheduleDealer}, sends everything due (or due within the send-ahead window,
 * {@link EngineSettings#sendAheadNanos}) in one pass and re-arms a nanosecond timer on its own Netty
 * event loop for its next instant, so no other thread wakes it per request, and at high rates one
 * wake-up sends several requests. It has its
 * own connection pool (its connections live on this loop), its slice of the in-flight and
 * connection caps, its backlog, a one-shot timeout timer and its recorder lane.
 *
 * <p>Threading: everything except the constructor runs on this lane's event-loop context; the
 * engine reaches the lane through {@link #onContext}. {@link #outstanding()} and
 * {@link #intended()} are published for other threads with ordered stores.
 */
final class Lane {

    /** Idle keep-alive connections are closed after this long, so a burst does not leave the pool at its cap. */
    static final long KEEP_ALIVE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

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
    /**
     * A request due within this long is sent at once ({@link EngineSettings#sendAheadNanos}): one wake-up sends a
     * batch instead of one timer wake-up per request. A request sent ahead keeps its intended instant; its
     * latency runs from its write, so it is never shorter than its service time, and its scheduler lag is 0.
     */
    private final long sendAheadNanos;

    private final ConnectionPool pool;
    /** Connections this lane opens when it starts, before the run's start instant. */
    private final int preconnect;

    // Event-loop state.
    /** Instants (from run start) taken from the dealer in the current pass. */
    private final LongQueue due = new LongQueue();

    private final Runnable sendTimerTask = this::onSendTimer;
    private final Runnable timeoutTimerTask = this::onTimeoutTimer;
    private ScheduledFuture<?> sendTimer;
    /** nanoTime of the next instant not yet taken from the dealer (what the send timer waits for). */
    private long nextInstantNanos = Long.MAX_VALUE;

    private ScheduledFuture<?> timeoutTimer;
    private boolean schedulingDone;
    private boolean done;
    private long requestsOfLane;
    private int inFlight;
    /**
     * Intended nanoTimes of requests waiting for a free in-flight slot, oldest first. Nothing overtakes
     * a waiting request (a new one queues behind it), so the backlog always holds the lane's latest
     * requests: the head is the lane's request number {@code requestsOfLane - backlog.size()}.
     */
    private final LongQueue backlog = new LongQueue();
    /**
     * Sent exchanges in send order, so the oldest (the first to time out) is at the head. Finished
     * exchanges leave from the head as soon as they get there, so it holds little more than the
     * requests in flight.
     */
    private final ArrayDeque<Exchange> exchanges = new ArrayDeque<>();

    // Published for other threads (single writer: this lane's event loop).
    private final AtomicLong publishedIntended = new AtomicLong();
    private final AtomicLong publishedOutstanding = new AtomicLong();

    Lane(
            LoadEngine engine,
            int index,
            int laneCount,
            ScheduleDealer dealer,
            long startNanos,
            ContextInternal context,
            LaneRecorder recorder,
            RequestShape shape,
            int cap,
            int connections,
            int preconnect,
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
        this.sendAheadNanos = settings.sendAheadNanos();
        this.preconnect = preconnect;
        this.pool = shape.newPool(eventLoop, connections, settings.connectTimeoutMillis(), KEEP_ALIVE_TIMEOUT_NANOS);
        pool.timings(new ConnectionPool.ConnectionTimings() {
            @Override
            public void connected(long nanos) {
                recorder.recordConnect(nanos);
            }

            @Override
            public void handshaken(long nanos) {
                recorder.recordTlsHandshake(nanos);
            }
        });
    }

    /** Runs {@code action} on this lane's context. */
    void onContext(Runnable action) {
        context.runOnContext(ignored -> action.run());
    }

    /**
     * Opens the lane's preconnected connections and takes the first instants (arming the send timer for the first
     * one) on this lane's context.
     */
    Future<Void> start() {
        Promise<Void> started = Promise.promise();
        onContext(() -> {
            pool.preconnect(preconnect);
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

    private void onSendTimer() {
        sendTimer = null;
        sendDue();
    }

    /**
     * Sends every instant of this lane that is due or falls within the send-ahead window, then arms the send
     * timer for the next one.
     * A lane that woke late sends what it missed in one burst; latency still runs from each
     * request's intended instant.
     */
    private void sendDue() {
        if (schedulingDone) {
            return;
        }
        cancelSendTimer();
        while (true) {
            long next = dealer.takeDue(index, System.nanoTime() - startNanos + sendAheadNanos, due);
            while (!due.isEmpty()) {
                admit(startNanos + due.poll());
            }
            if (next == ScheduleDealer.EXHAUSTED) {
                nextInstantNanos = Long.MAX_VALUE;
                schedulingDone = true;
                publish();
                checkDone();
                return;
            }
            nextInstantNanos = startNanos + next;
            long delay = nextInstantNanos - System.nanoTime();
            if (delay > sendAheadNanos) {
                // Woken at the next instant (never earlier), the pass sends it and what falls within the window.
                sendTimer = eventLoop.schedule(sendTimerTask, delay, TimeUnit.NANOSECONDS);
                return;
            }
            // The next instant came within the window while this pass was sending: take it now.
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
        long laneRequest = requestsOfLane++;
        if (inFlight < cap && backlog.isEmpty()) {
            dispatch(intendedNanos, laneRequest);
        } else {
            recorder.recordCapHit();
            backlog.add(intendedNanos);
            ensureTimeoutTimer();
        }
        publish();
    }

    /**
     * Hands the lane's request number {@code laneRequest}, intended at {@code intendedNanos}, to the
     * connection pool; it is sent when the pool writes it to a connection ({@link Exchange#onWrite}), at
     * once when a connection is idle.
     */
    private void dispatch(long intendedNanos, long laneRequest) {
        inFlight++;
        long dispatchedNanos = recorder.recordDispatch(intendedNanos);
        long sequence = laneRequest * laneCount + index; // the worker's request number while dealt round-robin
        Exchange exchange = new Exchange(intendedNanos, dispatchedNanos, shape.request(sequence));
        exchanges.addLast(exchange);
        ensureTimeoutTimer();
        pool.execute(exchange);
    }

    private void pumpBacklog() {
        while (inFlight < cap && !backlog.isEmpty()) {
            long laneRequest = requestsOfLane - backlog.size();
            dispatch(backlog.poll(), laneRequest);
        }
    }

    private void finish(Exchange exchange, OutcomeClass outcome, String[] selectedHeaders) {
        exchange.finished = true;
        inFlight--;
        String instanceId = shape.instanceId(selectedHeaders);
        long instanceRequestSeq = -1;
        long modelLoadMillis = -1;
        if (instanceId != null) {
            instanceRequestSeq = parseNonNegative(shape.instanceRequestSeq(selectedHeaders));
            modelLoadMillis = parseNonNegative(shape.modelLoadMillis(selectedHeaders));
        }
        if (exchange.written) {
            recorder.recordCompletion(
                    outcome,
                    Math.min(exchange.intendedNanos, exchange.writtenNanos), // sent ahead: from its write
                    exchange.writtenNanos,
                    exchange.receivedBytes() ? exchange.firstByteNanos() : LaneRecorder.NO_FIRST_BYTE,
                    shape.capturedValues(selectedHeaders),
                    instanceId,
                    instanceRequestSeq,
                    modelLoadMillis);
        } else {
            // Never on the wire: the target cannot have timed it out or refused it, the client gave up.
            recorder.recordUnsent(
                    outcome == OutcomeClass.OUTCOME_CLASS_TIMEOUT
                            ? LaneRecorder.Unsent.CONNECTION_WAIT
                            : LaneRecorder.Unsent.CONNECT_FAILED,
                    exchange.intendedNanos);
        }
        Exchange head;
        while ((head = exchanges.peekFirst()) != null && head.finished) {
            exchanges.pollFirst();
        }
        pumpBacklog();
        // Responses often arrive in bursts, and the event loop runs timers only after all ready I/O:
        // sending what came due between responses keeps a burst from delaying the schedule.
        if (!schedulingDone && System.nanoTime() - nextInstantNanos >= -sendAheadNanos) {
            sendDue();
        }
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
            deadline = head.deadlineBase() + timeoutNanos;
        }
        HttpExchange waiting = pool.oldestWaiting();
        if (waiting != null) {
            deadline = Math.min(deadline, ((Exchange) waiting).dispatchedNanos + timeoutNanos);
        }
        if (!backlog.isEmpty()) {
            deadline = Math.min(deadline, backlog.peek() + timeoutNanos);
        }
        if (deadline != Long.MAX_VALUE) {
            timeoutTimer = eventLoop.schedule(
                    timeoutTimerTask, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
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

    /**
     * Times out overdue exchanges, abandons exchanges that waited for a connection past the timeout and
     * backlog entries that waited for a slot past it. A written exchange's deadline runs from its write,
     * a waiting one's from its dispatch: the pool writes in dispatch order, so the send-order queue's
     * written head and the pool's oldest waiting exchange are the earliest deadlines of each kind.
     */
    private void expireOverdue(long now) {
        Exchange head;
        while ((head = exchanges.peekFirst()) != null && (head.finished || now - head.deadlineBase() >= timeoutNanos)) {
            exchanges.pollFirst();
            if (!head.finished) {
                expire(head);
            }
        }
        HttpExchange waiting;
        while ((waiting = pool.oldestWaiting()) != null && now - ((Exchange) waiting).dispatchedNanos >= timeoutNanos) {
            expire((Exchange) waiting); // the pool forgets it; it leaves the send-order queue at the head
        }
        while (!backlog.isEmpty() && now - backlog.peek() >= timeoutNanos) {
            recorder.recordAbandoned(backlog.poll());
        }
        pumpBacklog();
    }

    private void expire(Exchange exchange) {
        pool.abort(exchange); // closes its connection if it was sent: the late response must not reach the next request
        finish(exchange, OutcomeClass.OUTCOME_CLASS_TIMEOUT, null);
    }

    /** On stop: no more sends; abandons every request still waiting for a slot. Lane context only. */
    void stopScheduling() {
        cancelSendTimer();
        schedulingDone = true;
        while (!backlog.isEmpty()) {
            recorder.recordAbandoned(backlog.poll());
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

    /** Closes the lane's connections; completes with how many connections the lane opened over the run. */
    Future<Long> close() {
        Promise<Long> closed = Promise.promise();
        onContext(() -> {
            cancelSendTimer();
            cancelTimeoutTimer();
            schedulingDone = true;
            pool.close();
            closed.complete(pool.connectionsOpened());
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
    private final class Exchange extends HttpExchange {
        final long intendedNanos;
        final long dispatchedNanos;
        final ByteBuf request;
        /** When it was written to a connection; valid once {@link #written}. */
        long writtenNanos;

        boolean written;
        boolean finished;

        Exchange(long intendedNanos, long dispatchedNanos, ByteBuf request) {
            this.intendedNanos = intendedNanos;
            this.dispatchedNanos = dispatchedNanos;
            this.request = request;
        }

        /** Where its timeout runs from: its write once written, its dispatch while it waits for a connection. */
        long deadlineBase() {
            return written ? writtenNanos : dispatchedNanos;
        }

        @Override
        protected void onWrite(boolean waited) {
            writtenNanos = recorder.recordWrite(dispatchedNanos, waited);
            written = true;
        }

        @Override
        protected ByteBuf request() {
            return request;
        }

        @Override
        protected void onResponse(int status, String[] selectedValues) {
            if (!finished) {
                finish(this, classify(status), selectedValues);
            }
        }

        @Override
        protected void onFailure(Throwable cause) {
            // No response: refused, reset, unreachable, connect timeout, TLS failure or broken HTTP.
            if (!finished) {
                finish(this, OutcomeClass.OUTCOME_CLASS_CONNECT_ERROR, null);
            }
        }
    }
}
