package io.salvo.target;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP target for tests, benchmarks and demos: binds 127.0.0.1, answers any method and
 * path with a small JSON body after a configurable delay and with a configurable status.
 * {@link #stallFor(Duration)} holds every request arriving during the next window until the window
 * ends (a pause of the kind coordinated-omission-free measurement must see). {@link #setSlots(int)}
 * gives it a known capacity: at most that many requests are served at once, each for the delay, the
 * others wait in arrival order, as on a server with a fixed pool of model workers; its capacity is
 * then slots ÷ delay requests per second.
 *
 * <p>Thread-safe: the setters may be called from any thread while requests are served.
 */
public final class ControllableTarget implements AutoCloseable {

    /** Response header carrying {@link #instanceId()}, as the model server sends it. */
    public static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";

    private static final Buffer BODY = Buffer.buffer("{\"ok\":true}");

    private final Vertx vertx;
    private final HttpServer server;
    private final String instanceId;
    private final AtomicLong received = new AtomicLong();
    private volatile long delayNanos;
    private volatile int status = 200;
    private volatile long stallEndNanos = Long.MIN_VALUE;

    /** Guards {@link #slots}, {@link #busySlots} and {@link #waiting}: requests arrive on several event loops. */
    private final Object slotLock = new Object();
    /** At most this many requests in service at once; 0 = no limit. */
    private int slots;

    private int busySlots;
    private final Deque<HttpServerRequest> waiting = new ArrayDeque<>();

    private ControllableTarget(Vertx vertx, HttpServer server, String instanceId) {
        this.vertx = vertx;
        this.server = server;
        this.instanceId = instanceId;
    }

    /** Starts a target on {@code port} (0 = any free port) without an instance id header. */
    public static ControllableTarget start(int port) {
        return start(port, null);
    }

    /** Starts a target that sends {@code Salvo-Instance-Id: instanceId} when it is not null. */
    public static ControllableTarget start(int port, String instanceId) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        ControllableTarget[] holder = new ControllableTarget[1];
        HttpServer server = vertx.createHttpServer(
                        new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(request -> holder[0].handle(request));
        holder[0] = new ControllableTarget(vertx, server, instanceId);
        try {
            server.listen().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot bind 127.0.0.1:" + port, e);
        }
        return holder[0];
    }

    private void handle(HttpServerRequest request) {
        received.incrementAndGet();
        long now = System.nanoTime();
        long readyAt = Math.max(now + delayNanos, stallEndNanos);
        // Read the whole request body before answering, as a real server would.
        if (slots() > 0) {
            request.end().onComplete(ignored -> admit(request));
            return;
        }
        request.end().onComplete(ignored -> {
            long waitNanos = readyAt - System.nanoTime();
            // Round up: a truncated wait would answer up to 1 ms before the configured delay.
            long waitMillis = (waitNanos + 999_999) / 1_000_000;
            if (waitMillis >= 1) {
                vertx.setTimer(waitMillis, id -> respond(request));
            } else {
                respond(request);
            }
        });
    }

    private int slots() {
        synchronized (slotLock) {
            return slots;
        }
    }

    /** Serves the request now if a slot is free, else queues it behind the others. */
    private void admit(HttpServerRequest request) {
        synchronized (slotLock) {
            if (busySlots >= slots) {
                waiting.addLast(request);
                return;
            }
            busySlots++;
        }
        serve(request);
    }

    /** Holds a slot for the delay (from now: the time in the queue is not service), then frees it for the next. */
    private void serve(HttpServerRequest request) {
        long waitMillis = Math.max(1, (delayNanos + 999_999) / 1_000_000);
        vertx.setTimer(waitMillis, id -> {
            respond(request);
            HttpServerRequest next;
            synchronized (slotLock) {
                next = waiting.pollFirst();
                if (next == null) {
                    busySlots--;
                }
            }
            if (next != null) {
                serve(next);
            }
        });
    }

    private void respond(HttpServerRequest request) {
        var response = request.response().setStatusCode(status).putHeader("content-type", "application/json");
        if (instanceId != null) {
            response.putHeader(INSTANCE_ID_HEADER, instanceId);
        }
        response.end(BODY);
    }

    public int port() {
        return server.actualPort();
    }

    public String instanceId() {
        return instanceId;
    }

    /** Delay before each response (millisecond resolution). */
    public void setDelay(Duration delay) {
        this.delayNanos = delay.toNanos();
    }

    /**
     * Serves at most {@code slots} requests at once, each for the delay, and queues the rest in arrival order; 0
     * removes the limit. Set it before traffic arrives.
     */
    public void setSlots(int slots) {
        if (slots < 0) {
            throw new IllegalArgumentException("slots must not be negative, got " + slots);
        }
        synchronized (slotLock) {
            this.slots = slots;
        }
    }

    /** Status code of every response. */
    public void setStatus(int status) {
        this.status = status;
    }

    /** Every request arriving within {@code window} from now is answered no earlier than its end. */
    public void stallFor(Duration window) {
        this.stallEndNanos = System.nanoTime() + window.toNanos();
    }

    /** Requests received since start. */
    public long requestsReceived() {
        return received.get();
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort at shutdown: a slow close must not fail the caller
        }
    }
}
