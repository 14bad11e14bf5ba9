package io.salvo.platform.local;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives HTTP/1.1 POSTs through a throw-away {@link ActivatorRouter} to a loopback dummy instance, on the
 * deployment's own Vert.x, before the real router takes its first request.
 *
 * <p>Why: the router runs inside the JVM that measures (the CLI), and its time-to-first-success ground truth
 * is stamped by router code — "first request" when a request's head has been decoded, "first 2xx" just
 * before the reply is encoded. On the first deployment of a JVM, the HTTP/1.1 server codec, the hold and
 * forward path and the reply encoding are class-loaded and interpreted during the very first measured
 * request, and on a loaded 2-core machine that took up to ~0.3 s, split before the "first request" stamp
 * and after the "first 2xx" stamp: the client saw a longer time to first response than the platform
 * recorded. A health check does not warm that path: Java's HttpClient upgrades plain-text requests to
 * HTTP/2 (h2c), which Vert.x accepts, so it exercises a different codec, and a GET has no body to hold.
 * Warming against the real instance would warm the thing being measured; the dummy is an HTTP server on
 * 127.0.0.1 in this process, and its own ground truth is discarded.
 */
final class ProxyPathWarmup {

    /** Enough for the request-path methods to leave the interpreter (C1 compiles after ~200 calls). */
    static final int REQUESTS = 250;
    /** Held at once while the dummy is "starting", then dispatched when it is declared ready. */
    private static final int HELD_FIRST = 8;

    private static final int IN_FLIGHT = 8;
    private static final String DUMMY_NAME = "proxy-warmup";
    private static final Buffer BODY = Buffer.buffer("{\"inputs\": [\"warming the local platform's proxy path\"]}");
    private static final Buffer REPLY = Buffer.buffer("{\"outputs\": [[0.0, 0.0, 0.0, 0.0]]}");

    /** Class loading and JIT are per JVM: once done, later deployments' routers start warm. */
    private static boolean warmInThisJvm;

    private ProxyPathWarmup() {}

    /**
     * {@link #run} unless a deployment in this JVM already did it; a concurrent caller waits for the first, so no
     * router takes a measured request before the path is warm.
     */
    static synchronized void runOncePerJvm(Vertx vertx, Duration timeout)
            throws IOException, InterruptedException, TimeoutException {
        if (!warmInThisJvm) {
            run(vertx, timeout);
            warmInThisJvm = true;
        }
    }

    /**
     * Runs {@link #REQUESTS} requests through a throw-away router with a dummy instance on {@code vertx}; returns
     * once all have answered.
     *
     * @throws IOException if a request failed or did not answer 200 (the proxy path itself is broken)
     */
    static void run(Vertx vertx, Duration timeout) throws IOException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        AtomicInteger dummySeq = new AtomicInteger();
        HttpServer dummy = await(
                vertx.createHttpServer(
                                new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                        .requestHandler(request -> request.body()
                                .onSuccess(body -> request.response()
                                        // the model-server's instance headers, so the router copies a reply of the real
                                        // shape
                                        .putHeader("Content-Type", "application/json")
                                        .putHeader("Salvo-Instance-Id", DUMMY_NAME)
                                        .putHeader(
                                                "Salvo-Instance-Request-Seq",
                                                Integer.toString(dummySeq.incrementAndGet()))
                                        .putHeader("Salvo-Model-Load-Ms", "0")
                                        .end(REPLY)))
                        .listen(),
                deadline);
        ActivatorRouter router = new ActivatorRouter(
                new ActivatorRouter.Config(
                        0,
                        // the dummy's capacity covers every request in flight, so the autoscaler never launches
                        // anything
                        new ScalingSettings(IN_FLIGHT + HELD_FIRST, 0, 1, Duration.ZERO, Duration.ofHours(1)),
                        Duration.ofHours(1),
                        timeout,
                        new NeverLaunches(),
                        "warmup",
                        null,
                        1,
                        64,
                        Map.of(),
                        Path.of(System.getProperty("java.io.tmpdir"))),
                new GroundTruth(Clock.systemUTC()));
        String deployment = await(vertx.deployVerticle(router), deadline);
        // a client like the worker's: HTTP/1.1 with keep-alive over a few connections
        HttpClient client = vertx.createHttpClient(
                new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
        try {
            await(router.attachStartingInstance(DUMMY_NAME, dummy.actualPort()), deadline);
            Requests requests = new Requests(client, router.port(), deadline);
            for (int i = 0; i < HELD_FIRST; i++) {
                requests.send();
            }
            // the first ones wait in the hold queue for the "starting" instance, as on a real cold start
            while (await(router.heldRequests(), deadline) < HELD_FIRST) {
                requests.throwIfFailed();
                Thread.sleep(5);
            }
            await(router.markReady(DUMMY_NAME), deadline);
            for (int i = HELD_FIRST; i < REQUESTS; i++) {
                requests.send();
            }
            requests.awaitAll();
        } finally {
            client.close();
            vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
            dummy.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** Up to {@link #IN_FLIGHT} POSTs at once through the router; the first failure is kept and rethrown. */
    private static final class Requests {
        private final HttpClient client;
        private final RequestOptions options;
        private final long deadlineNanos;
        private final Semaphore slots = new Semaphore(IN_FLIGHT + HELD_FIRST);
        private final AtomicReference<String> failure = new AtomicReference<>();
        private int sent;

        Requests(HttpClient client, int routerPort, long deadlineNanos) {
            this.client = client;
            this.options = new RequestOptions()
                    .setHost("127.0.0.1")
                    .setPort(routerPort)
                    .setMethod(HttpMethod.POST)
                    .setURI("/v2/models/warmup/predict")
                    .putHeader("Content-Type", "application/json");
            this.deadlineNanos = deadlineNanos;
        }

        void send() throws InterruptedException, TimeoutException, IOException {
            acquire(1);
            sent++;
            client.request(options)
                    .compose(request -> request.send(BODY))
                    .compose(response -> response.body().map(body -> response.statusCode()))
                    .onComplete(result -> {
                        if (result.failed()) {
                            failure.compareAndSet(null, result.cause().toString());
                        } else if (result.result() != 200) {
                            failure.compareAndSet(null, "status " + result.result());
                        }
                        slots.release();
                    });
        }

        void awaitAll() throws InterruptedException, TimeoutException, IOException {
            acquire(IN_FLIGHT + HELD_FIRST);
            throwIfFailed();
        }

        void throwIfFailed() throws IOException {
            String cause = failure.get();
            if (cause != null) {
                throw new IOException("a warm-up request through the local platform's router failed: " + cause);
            }
        }

        private void acquire(int permits) throws InterruptedException, TimeoutException, IOException {
            long left = deadlineNanos - System.nanoTime();
            if (!slots.tryAcquire(permits, Math.max(0, left), TimeUnit.NANOSECONDS)) {
                throw new TimeoutException(
                        "the local platform's proxy warm-up did not finish in time (" + sent + " requests sent)");
            }
            throwIfFailed();
        }
    }

    private static <T> T await(Future<T> future, long deadlineNanos) throws TimeoutException, IOException {
        try {
            return future.await(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the local platform's proxy warm-up failed: " + e.getMessage(), e);
        }
    }

    /** The warm-up router only ever serves from the dummy. */
    private static final class NeverLaunches implements InstanceLauncher {
        @Override
        public ProcessBuilder processFor(Launch launch) {
            throw new IllegalStateException("the proxy warm-up serves from a loopback dummy and launches no instance");
        }

        @Override
        public List<String> problems() {
            return List.of();
        }
    }
}
