package io.salvo.platform.local;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local platform's front door and autoscaler, on one Vert.x event loop (so its state needs no locks):
 * every request is held until an instance with a free slot is ready (Knative's activator), then forwarded
 * to the least busy one; a tick every 50 ms starts instances for unmet demand and stops idle ones.
 *
 * <p>Instance processes are started on a worker thread (fork is blocking) and watched by one reader
 * thread each; both hand their results back to the event loop.
 */
final class ActivatorRouter extends VerticleBase {

    /** Everything the router needs to know about the deployment. */
    record Config(
            int port,
            ScalingSettings scaling,
            Duration instanceReadyTimeout,
            Duration holdTimeout,
            InstanceLauncher launcher,
            String model,
            Path modelDir,
            double cpus,
            int memoryMb,
            Map<String, String> env,
            Path logDir) {}

    private static final long TICK_MILLIS = 50;
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "host",
            "content-length");

    private record Held(HttpServerRequest request, Buffer body, long arrivedNanos) {}

    private final Config config;
    private final GroundTruth truth;
    private final Autoscaler autoscaler;
    private final Map<String, ChildInstance> instances = new LinkedHashMap<>();
    /** Every process ever started and not yet seen to exit, for the hard-kill path on any thread. */
    private final Map<String, Process> processes = new ConcurrentHashMap<>();

    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private HttpServer server;
    private HttpClient client;
    private long tickTimer;
    private int launched;
    private boolean closing;

    ActivatorRouter(Config config, GroundTruth truth) {
        this.config = config;
        this.truth = truth;
        this.autoscaler = new Autoscaler(config.scaling());
    }

    @Override
    public Future<?> start() {
        int poolSize = config.scaling().concurrency() * config.scaling().maxInstances() + 16;
        client = vertx.createHttpClient(
                new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0),
                new PoolOptions().setHttp1MaxSize(poolSize));
        tickTimer = vertx.setPeriodic(TICK_MILLIS, id -> tick());
        return vertx.createHttpServer(
                        new HttpServerOptions().setHost("127.0.0.1").setPort(config.port()))
                .requestHandler(this::accept)
                .listen()
                .onSuccess(s -> {
                    server = s;
                    tick();
                });
    }

    int port() {
        return server.actualPort();
    }

    // ---- requests ---------------------------------------------------------------------------------

    private void accept(HttpServerRequest request) {
        long arrived = System.nanoTime();
        truth.requestReceived();
        request.body().onSuccess(body -> {
            if (closing) {
                reply(request.response(), 503, "local platform: shutting down");
                return;
            }
            held.addLast(new Held(request, body, arrived));
            dispatch();
            tick();
        });
    }

    private void dispatch() {
        while (!held.isEmpty()) {
            ChildInstance target = instances.values().stream()
                    .filter(i -> i.state == ChildInstance.State.READY
                            && i.inFlight < config.scaling().concurrency())
                    .min(Comparator.comparingInt((ChildInstance i) -> i.inFlight))
                    .orElse(null);
            if (target == null) {
                return;
            }
            forward(held.pollFirst(), target);
        }
    }

    private void forward(Held h, ChildInstance target) {
        target.inFlight++;
        truth.routed(target.name);
        java.time.Instant forwardedAt = truth.now();
        HttpServerRequest in = h.request();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        in.headers().forEach(e -> {
            if (!HOP_BY_HOP.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                headers.add(e.getKey(), e.getValue());
            }
        });
        RequestOptions options = new RequestOptions()
                .setHost("127.0.0.1")
                .setPort(target.servingPort)
                .setMethod(in.method())
                .setURI(in.uri())
                .setHeaders(headers)
                .setTimeout(config.holdTimeout().toMillis());
        client.request(options)
                .compose(out -> out.send(h.body()))
                .compose(response -> response.body().map(body -> new Object[] {response, body}))
                .onComplete(ar -> {
                    target.inFlight--;
                    if (target.inFlight == 0) {
                        target.idleSinceNanos = System.nanoTime();
                    }
                    if (ar.succeeded()) {
                        truth.replied(target.name);
                        HttpClientResponse response = (HttpClientResponse) ar.result()[0];
                        truth.served(target.name, forwardedAt, response.statusCode() / 100 == 2);
                        HttpServerResponse outgoing = in.response().setStatusCode(response.statusCode());
                        response.headers().forEach(e -> {
                            if (!HOP_BY_HOP.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                                outgoing.headers().add(e.getKey(), e.getValue());
                            }
                        });
                        outgoing.putHeader("Salvo-Platform-Instance", target.name);
                        // recorded before the write, so a client never sees a reply the ground truth lacks
                        if (response.statusCode() / 100 == 2) {
                            truth.successSent();
                        }
                        outgoing.end((Buffer) ar.result()[1]);
                    } else {
                        truth.served(target.name, forwardedAt, false);
                        reply(in.response(), 502, "local platform: instance " + target.name + " failed: " + ar.cause());
                    }
                    if (target.state == ChildInstance.State.DRAINING && target.inFlight == 0) {
                        terminate(target);
                    }
                    dispatch();
                });
    }

    private static void reply(HttpServerResponse response, int status, String message) {
        if (!response.ended() && !response.closed()) {
            response.setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .end(message);
        }
    }

    // ---- scaling ----------------------------------------------------------------------------------

    private void tick() {
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        expireHeld(now);
        int live = (int) instances.values().stream().filter(ChildInstance::live).count();
        int demand = held.size()
                + instances.values().stream()
                        .filter(ChildInstance::live)
                        .mapToInt(i -> i.inFlight)
                        .sum();
        int toStart = autoscaler.instancesToStart(now, demand, live);
        for (int i = 0; i < toStart; i++) {
            launch(now);
        }
        live += toStart;
        for (ChildInstance instance : List.copyOf(instances.values())) {
            if (instance.state == ChildInstance.State.STARTING
                    && now - instance.launchedAtNanos
                            > config.instanceReadyTimeout().toNanos()) {
                retire(
                        instance,
                        "not ready within " + config.instanceReadyTimeout().toMillis() + " ms");
                live--;
            } else if (instance.state == ChildInstance.State.READY
                    && instance.inFlight == 0
                    && held.isEmpty()
                    && autoscaler.shouldStopIdle(now, instance.idleSinceNanos, live)) {
                retire(instance, "idle for " + config.scaling().idleTimeout().toMillis() + " ms");
                live--;
            }
        }
        recordCounts();
    }

    private void expireHeld(long now) {
        while (!held.isEmpty()
                && now - held.peekFirst().arrivedNanos() > config.holdTimeout().toNanos()) {
            reply(
                    held.pollFirst().request().response(),
                    503,
                    "local platform: no instance became available within "
                            + config.holdTimeout().toMillis() + " ms");
        }
    }

    private void recordCounts() {
        int starting = 0;
        int ready = 0;
        for (ChildInstance i : instances.values()) {
            if (i.state == ChildInstance.State.STARTING) {
                starting++;
            } else if (i.state == ChildInstance.State.READY) {
                ready++;
            }
        }
        truth.counts(starting, ready);
    }

    private void launch(long now) {
        launched++;
        String name = "local-" + launched;
        ChildInstance instance = new ChildInstance(name, freeLoopbackPort(), now);
        instances.put(name, instance);
        InstanceLauncher.Launch launch = new InstanceLauncher.Launch(
                name, instance.port, config.model(), config.modelDir(), config.cpus(), config.memoryMb(), config.env());
        Path log = config.logDir().resolve(name + ".log");
        vertx.<Process>executeBlocking(() -> {
                    truth.spawned(name);
                    Process process = config.launcher().start(launch, log);
                    processes.put(name, process);
                    return process;
                })
                .onComplete(ar -> {
                    if (ar.failed()) {
                        instance.state = ChildInstance.State.STOPPED;
                        truth.stopped(name, "could not launch: " + ar.cause().getMessage());
                        recordCounts();
                        return;
                    }
                    instance.process = ar.result();
                    if (closing || instance.state == ChildInstance.State.DRAINING) {
                        terminate(instance);
                    }
                    watch(instance, ar.result(), log);
                });
    }

    /** Reads the instance's standard output until it exits; reports readiness and exit to the event loop. */
    private void watch(ChildInstance instance, Process process, Path log) {
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader lines = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = lines.readLine()) != null) {
                            ReadyLine ready = ReadyLine.parse(line);
                            if (ready != null) {
                                truth.ready(instance.name, ready.instanceId(), ready.modelLoadMillis());
                                onEventLoop(() -> onReady(instance, ready));
                            }
                        }
                    } catch (IOException e) {
                        // the pipe broke because the process died; the exit code below says how
                    }
                    int code;
                    try {
                        code = process.waitFor();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    processes.remove(instance.name);
                    truth.stopped(instance.name, "exited with code " + code + lastLogLine(log));
                    onEventLoop(() -> {
                        instance.state = ChildInstance.State.STOPPED;
                        recordCounts();
                        dispatch();
                    });
                },
                "local-platform-" + instance.name);
        reader.setDaemon(true);
        reader.start();
    }

    /** From a reader thread; after shutdown the event loop is gone and the ground truth already has the facts. */
    private void onEventLoop(Runnable action) {
        try {
            context.runOnContext(v -> action.run());
        } catch (RuntimeException e) {
            // Vert.x closed: nothing left to route
        }
    }

    private static String lastLogLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return " (last stderr line: " + lines.get(i).strip() + ")";
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // no log is no reason to fail the bookkeeping
        }
        return "";
    }

    private void onReady(ChildInstance instance, ReadyLine ready) {
        if (instance.state != ChildInstance.State.STARTING) {
            return;
        }
        if (ready.port() > 0) {
            instance.servingPort = ready.port();
        }
        instance.state = ChildInstance.State.READY;
        instance.idleSinceNanos = System.nanoTime();
        recordCounts();
        dispatch();
    }

    private void retire(ChildInstance instance, String reason) {
        truth.stopping(instance.name, reason);
        instance.state = ChildInstance.State.DRAINING;
        if (instance.inFlight == 0) {
            terminate(instance);
        }
    }

    /** Closing standard input lets the instance exit on its own; SIGTERM covers launchers without ParentWatch. */
    private void terminate(ChildInstance instance) {
        Process process = instance.process;
        if (process == null || instance.terminationRequested) {
            return;
        }
        instance.terminationRequested = true;
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed: the process is exiting anyway
        }
        process.destroy();
        vertx.setTimer(5_000, id -> {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        });
    }

    // ---- control from the driver (any thread) -----------------------------------------------------

    /** Stops every live instance; completes with their names, so the caller can wait for their exits. */
    Future<List<String>> retireAll(String reason) {
        Promise<List<String>> names = Promise.promise();
        context.runOnContext(v -> {
            List<String> retired = new ArrayList<>();
            for (ChildInstance instance : instances.values()) {
                if (instance.live()) {
                    retire(instance, reason);
                    retired.add(instance.name);
                }
            }
            recordCounts();
            names.complete(retired);
        });
        return names.future();
    }

    /**
     * Adds an instance this router did not launch: an HTTP server already listening on loopback {@code port},
     * STARTING (it counts as capacity, so nothing is launched, and requests are held) until
     * {@link #markReady(String)}. Only {@link ProxyPathWarmup} uses it, to drive requests through the real hold,
     * dispatch and forward path to a loopback dummy.
     */
    Future<Void> attachStartingInstance(String name, int port) {
        Promise<Void> attached = Promise.promise();
        context.runOnContext(v -> {
            instances.put(name, new ChildInstance(name, port, System.nanoTime()));
            recordCounts();
            attached.complete();
        });
        return attached.future();
    }

    /** Declares an attached instance ready, as its ready line would; held requests are dispatched to it. */
    Future<Void> markReady(String name) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            ChildInstance instance = instances.get(name);
            if (instance == null) {
                done.fail(new IllegalArgumentException("no instance " + name));
                return;
            }
            onReady(instance, new ReadyLine(instance.port, name, null));
            done.complete();
        });
        return done.future();
    }

    /** Requests received and waiting for an instance with a free slot, right now. */
    Future<Integer> heldRequests() {
        Promise<Integer> count = Promise.promise();
        context.runOnContext(v -> count.complete(held.size()));
        return count.future();
    }

    /** Ready instances right now. */
    Future<Integer> readyInstances() {
        Promise<Integer> count = Promise.promise();
        context.runOnContext(v -> count.complete((int) instances.values().stream()
                .filter(i -> i.state == ChildInstance.State.READY)
                .count()));
        return count.future();
    }

    @Override
    public Future<?> stop() {
        closing = true;
        vertx.cancelTimer(tickTimer);
        while (!held.isEmpty()) {
            reply(held.pollFirst().request().response(), 503, "local platform: shutting down");
        }
        for (ChildInstance instance : instances.values()) {
            if (instance.state != ChildInstance.State.STOPPED) {
                truth.stopping(instance.name, "teardown");
                instance.state = ChildInstance.State.DRAINING;
                terminate(instance);
            }
        }
        Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
        return closed.eventually(() -> client.close());
    }

    /** Processes started and not yet seen to exit; the driver's last resort on shutdown. */
    Map<String, Process> liveProcesses() {
        return Map.copyOf(processes);
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for an instance", e);
        }
    }
}
