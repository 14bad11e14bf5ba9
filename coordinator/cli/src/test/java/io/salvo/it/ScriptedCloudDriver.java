package io.salvo.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A cloud platform as the matrix sees one, scripted for tests and found through this module's test
 * {@code META-INF/services}: an HTTP endpoint on loopback that answers like the model-server (instance headers), one
 * instance at a time whose first request waits {@code cold-start-ms}, a verified-by-id forced cold start, and a
 * usage in Lambda's dimensions with a scripted billed duration of 100 ms per request, plus one dimension no price
 * table knows. {@code events} (a file) receives one line per deploy and teardown, so a test sees what a separate
 * process did. Settings: {@code cold-start-ms}, {@code events}, {@code max-memory}; {@code fake-cold: true} makes
 * {@link #forceCold} report the instance gone while it goes on serving under its old id (a platform whose cold start
 * did not happen); {@code warning} is the message of a {@code FailedScheduling} warning event emitted at each instance
 * start.
 *
 * <p>Like a driver that sees its instances through responses (cloud-run), it judges a forced cold start by the
 * responses it is told of ({@link #observeResponses}): the first instance id after the cold start must be new. Its
 * timeline breaks each cold start into "instance start" (spawned → ready) and "first response" (ready → the first
 * response the workers saw), and counts starting/ready instances over time. {@link #loadStarting} and the first request
 * each leave a line in {@code events}, so a test sees their order.
 */
public final class ScriptedCloudDriver implements PlatformDriver {

    public static final String NAME = "scripted-cloud";
    /** The billed duration the script gives every request. */
    public static final double BILLED_SECONDS_PER_REQUEST = 0.1;
    /** The amount of the dimension no price table knows. */
    public static final double UNPRICED_AMOUNT = 1.5;

    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "scripted test platform on loopback (settings: cold-start-ms, events, max-memory, fake-cold,"
                    + " warning)";
        }

        @Override
        public PlatformDriver create(Map<String, String> values) {
            DriverConfig config = new DriverConfig(NAME, values);
            Duration coldStart = config.millis("cold-start-ms", Duration.ofMillis(300));
            String events = config.string("events", null);
            int maxMemory = config.integer("max-memory", 10_240);
            boolean fakeCold = Boolean.parseBoolean(config.string("fake-cold", "false"));
            String warning = config.string("warning", null);
            config.rejectUnknownKeys();
            ScriptedCloudDriver driver =
                    new ScriptedCloudDriver(coldStart, events == null ? null : Path.of(events), maxMemory);
            driver.fakeCold = fakeCold;
            driver.warning = warning;
            return driver;
        }
    }

    /**
     * Deployments by their events file, as a cloud names its resources from the driver's settings: a driver created
     * again with the same settings ({@code salvo teardown}) finds the deployment another one made.
     */
    private static final Map<Path, ScriptedCloudDriver> DEPLOYED = new java.util.concurrent.ConcurrentHashMap<>();

    private final Duration coldStart;
    private final Path events;
    private final int maxMemory;
    private final List<Long> requestNanos = new ArrayList<>();
    private final String invokerToken = java.util.UUID.randomUUID().toString();
    private final List<Instance> instances = new ArrayList<>();
    private HttpServer server;
    private ExecutorService executor;
    private DeploymentSpec spec;
    private Instance current;
    private Instant firstRequestAt;
    private Instant firstSuccessAt;
    private int generation;
    private boolean fakeCold;
    private String warning;
    private final List<io.salvo.platform.InstanceCountSample> counts = new ArrayList<>();
    private final List<io.salvo.platform.PlatformEvent> platformEvents = new ArrayList<>();
    private boolean loggedFirstRequest;
    /** Instance ids the responses showed, and the verdict's state since the last forced cold start. */
    private final java.util.Set<String> idsSeen = new java.util.LinkedHashSet<>();

    private java.util.Set<String> idsBeforeCold = java.util.Set.of();
    private Instant coldMark;
    private String firstIdAfterCold;

    /** The one live instance: ready once its cold start has passed. */
    private final class Instance {
        final String name = "scripted-" + (++generation);
        final String id = UUID.randomUUID().toString();
        final Instant spawnedAt = Instant.now();
        final CountDownLatch ready = new CountDownLatch(1);
        Instant readyAt;
        Instant firstRoutedAt;
        Instant firstReplyAt;
        Instant stoppedAt;
        long requests;

        InstanceRecord record() {
            return new InstanceRecord(
                    name,
                    id,
                    spawnedAt,
                    readyAt,
                    stoppedAt,
                    firstRoutedAt,
                    firstReplyAt,
                    coldStart.toMillis(),
                    stoppedAt == null ? null : "forced cold");
        }
    }

    ScriptedCloudDriver(Duration coldStart, Path events, int maxMemory) {
        this.coldStart = coldStart;
        this.events = events;
        this.maxMemory = maxMemory;
    }

    @Override
    public String label() {
        return "scripted cloud (test double)";
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        List<String> violations = new ArrayList<>();
        if (spec.memoryMbPerInstance() < 128 || spec.memoryMbPerInstance() > maxMemory) {
            violations.add("memory must be 128 to " + maxMemory + " MB, got " + spec.memoryMbPerInstance()
                    + " (source: the test's script)");
        }
        PlatformLimitException.check(NAME, violations);
    }

    @Override
    public synchronized URI deploy(DeploymentSpec deployment) throws PlatformLimitException, PlatformException {
        validate(deployment);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        } catch (IOException e) {
            throw new PlatformException("cannot listen on loopback", e);
        }
        executor = Executors.newFixedThreadPool(8);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        spec = deployment;
        if (events != null) {
            DEPLOYED.put(events, this);
        }
        event("deploy " + deployment.model());
        return endpoint();
    }

    private void handle(HttpExchange exchange) throws IOException {
        // A private service: only requests carrying the header requestHeaders() gave are served.
        if (!("Bearer " + invokerToken).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
        }
        Instance instance;
        long seq;
        synchronized (this) {
            requestNanos.add(System.currentTimeMillis() * 1_000_000L);
            if (firstRequestAt == null) {
                firstRequestAt = Instant.now();
            }
            if (!loggedFirstRequest) {
                loggedFirstRequest = true;
                event("first request");
            }
            if (current == null) {
                current = new Instance();
                instances.add(current);
                counts.add(new io.salvo.platform.InstanceCountSample(current.spawnedAt, 1, 0));
                if (warning != null) {
                    platformEvents.add(new io.salvo.platform.PlatformEvent(
                            current.spawnedAt, "Warning", "instance/" + current.name, "FailedScheduling", warning));
                }
                Instance starting = current;
                // the cold start: the instance becomes ready after cold-start-ms, on the platform's own timer
                Executors.newSingleThreadScheduledExecutor(r -> {
                            Thread t = new Thread(r, "scripted-cold-start");
                            t.setDaemon(true);
                            return t;
                        })
                        .schedule(
                                () -> {
                                    synchronized (ScriptedCloudDriver.this) {
                                        starting.readyAt = Instant.now();
                                        counts.add(new io.salvo.platform.InstanceCountSample(starting.readyAt, 0, 1));
                                        platformEvents.add(new io.salvo.platform.PlatformEvent(
                                                starting.readyAt,
                                                "Normal",
                                                "instance/" + starting.name,
                                                "Ready",
                                                "scripted instance ready after its cold start"));
                                    }
                                    starting.ready.countDown();
                                },
                                coldStart.toMillis(),
                                TimeUnit.MILLISECONDS);
            }
            instance = current;
            seq = ++instance.requests;
            if (instance.firstRoutedAt == null) {
                instance.firstRoutedAt = Instant.now();
            }
        }
        exchange.getRequestBody().readAllBytes();
        try {
            instance.ready.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] body = "{\"predictions\": [[0.5]]}".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("Salvo-Instance-Id", instance.id);
        exchange.getResponseHeaders().add("Salvo-Model-Load-Ms", Long.toString(coldStart.toMillis()));
        exchange.getResponseHeaders().add("Salvo-Instance-Request-Seq", Long.toString(seq));
        synchronized (this) {
            if (instance.firstReplyAt == null) {
                instance.firstReplyAt = Instant.now();
            }
            if (firstSuccessAt == null) {
                firstSuccessAt = Instant.now();
            }
        }
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public io.salvo.platform.RequestHeaders requestHeaders(io.salvo.platform.RunRequests requests) {
        return io.salvo.platform.RequestHeaders.fixed(Map.of("Authorization", "Bearer " + invokerToken));
    }

    @Override
    public synchronized URI endpoint() {
        if (server == null) {
            throw new IllegalStateException("deploy() first");
        }
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public synchronized void awaitReady(Duration timeout) {
        // ready once listening: instances start on demand; with fake-cold, one starts at deploy and the driver's own
        // readiness probe sees its id (as Cloud Run's deploy-time instance), so a cold start that keeps it is caught
        if (fakeCold && current == null) {
            current = new Instance();
            instances.add(current);
            current.readyAt = current.spawnedAt;
            current.ready.countDown();
            idsSeen.add(current.id);
        }
    }

    @Override
    public boolean canForceCold() {
        return true;
    }

    @Override
    public synchronized void forceCold() {
        if (current != null) {
            current.stoppedAt = Instant.now();
            if (!fakeCold) {
                current = null;
                counts.add(new io.salvo.platform.InstanceCountSample(Instant.now(), 0, 0));
            }
        }
        firstRequestAt = null;
        firstSuccessAt = null;
        loggedFirstRequest = false;
        idsBeforeCold = java.util.Set.copyOf(idsSeen);
        coldMark = Instant.now();
        firstIdAfterCold = null;
    }

    @Override
    public synchronized void observeResponses(
            Instant at, String instanceId, Instant instanceStartedAt, long responses) {
        if (instanceId == null) {
            return;
        }
        if (coldMark != null && firstIdAfterCold == null && !at.isBefore(coldMark)) {
            firstIdAfterCold = instanceId;
        }
        idsSeen.add(instanceId);
    }

    @Override
    public synchronized io.salvo.platform.ColdStartVerdict coldStartVerdict() {
        if (coldMark == null) {
            return io.salvo.platform.ColdStartVerdict.notForced();
        }
        if (firstIdAfterCold == null) {
            return new io.salvo.platform.ColdStartVerdict(
                    io.salvo.platform.ColdStartVerdict.State.PENDING, null, idsBeforeCold);
        }
        return new io.salvo.platform.ColdStartVerdict(
                idsBeforeCold.contains(firstIdAfterCold)
                        ? io.salvo.platform.ColdStartVerdict.State.REUSED_INSTANCE
                        : io.salvo.platform.ColdStartVerdict.State.VERIFIED,
                firstIdAfterCold,
                idsBeforeCold);
    }

    @Override
    public void loadStarting() {
        event("load starting");
    }

    /** Each instance's cold start: "instance start" (spawned → ready), "first response" (ready → first response). */
    @Override
    public synchronized io.salvo.platform.PlatformTimeline timeline(
            List<io.salvo.platform.FirstResponse> firstResponses) {
        List<io.salvo.platform.ColdStartPhases> colds = new ArrayList<>();
        for (Instance i : instances) {
            if (i.readyAt == null) {
                continue;
            }
            List<io.salvo.platform.ColdStartPhases.Phase> phases = new ArrayList<>();
            phases.add(new io.salvo.platform.ColdStartPhases.Phase("instance start", i.spawnedAt, i.readyAt));
            io.salvo.platform.FirstResponse first = firstResponses.stream()
                    .filter(f -> f.instanceId().equals(i.id))
                    .findFirst()
                    .orElse(null);
            if (first != null) {
                phases.add(new io.salvo.platform.ColdStartPhases.Phase(
                        "first response", i.readyAt, first.at().isBefore(i.readyAt) ? i.readyAt : first.at()));
            }
            colds.add(new io.salvo.platform.ColdStartPhases(
                    i.name, first == null ? null : i.id, "loopback", phases, coldStart.toMillis(), true));
        }
        return new io.salvo.platform.PlatformTimeline(colds, platformEvents);
    }

    @Override
    public synchronized PlatformSignals signals() {
        return new PlatformSignals(
                label(),
                instances.stream().map(Instance::record).toList(),
                List.copyOf(counts),
                firstRequestAt,
                firstSuccessAt);
    }

    /**
     * Requests that arrived in the window, each billed {@link #BILLED_SECONDS_PER_REQUEST} × memory in GB, and a
     * dimension no price table has; no prediction count of its own (Salvo's is used).
     */
    @Override
    public synchronized Optional<PlatformUsage> usage(Instant from, Instant to) {
        long fromNs = from.getEpochSecond() * 1_000_000_000L + from.getNano();
        long toNs = to.getEpochSecond() * 1_000_000_000L + to.getNano();
        long requests = requestNanos.stream()
                .filter(t -> t >= fromNs - 1_000_000L && t < toNs + 1_000_000L)
                .count();
        double gb = spec.memoryMbPerInstance() / 1024.0;
        return Optional.of(new PlatformUsage(
                from,
                to,
                null,
                List.of(
                        new UsageQuantity("aws-lambda:requests", requests, "requests", "scripted: requests received"),
                        new UsageQuantity(
                                "aws-lambda:gb-seconds:x86_64",
                                requests * BILLED_SECONDS_PER_REQUEST * gb,
                                "GB-s",
                                "scripted: 100 ms billed per request x memory"),
                        new UsageQuantity(
                                "scripted:egress-gb", UNPRICED_AMOUNT, "GB", "scripted: no price table knows it"))));
    }

    @Override
    public void teardown() {
        HttpServer stopping;
        synchronized (this) {
            stopping = server;
            server = null;
        }
        if (stopping == null && events != null) {
            ScriptedCloudDriver other = DEPLOYED.get(events);
            if (other != null && other != this) {
                other.teardown();
            }
            return;
        }
        if (events != null) {
            DEPLOYED.remove(events, this);
        }
        if (stopping != null) {
            stopping.stop(0);
            executor.shutdownNow();
            event("teardown " + spec.model());
        }
    }

    private void event(String line) {
        if (events == null) {
            return;
        }
        try {
            Files.writeString(
                    events, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
