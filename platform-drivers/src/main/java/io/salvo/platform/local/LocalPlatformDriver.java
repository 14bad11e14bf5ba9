package io.salvo.platform.local;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.TeardownHook;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small serverless platform on this machine: a router on a loopback port in front of model-server
 * instances that run as child processes, scaled by one of the {@link LocalProfile emulation profiles}.
 * Instances never outlive the driver: {@link #teardown()} stops them, a JVM shutdown hook does it on
 * Ctrl-C, and {@link ParentWatch} makes each instance exit when this JVM dies in any other way.
 *
 * <p>Settings (all optional): {@code profile} (lambda-like, cloud-run-like, k8s-like; default
 * lambda-like), {@code model-server-jar} (default {@code $SALVO_MODEL_SERVER_JAR} or
 * {@code model-server/target/salvo-model-server.jar}), {@code model-dir}, {@code port} (router, default
 * 0 = any free), {@code min-instances}, {@code max-instances}, {@code concurrency},
 * {@code scale-out-delay-ms}, {@code idle-timeout-ms}, {@code ready-timeout-ms} (per instance, default
 * 120000), {@code hold-timeout-ms} (longest a request waits for an instance, default 120000).
 */
public final class LocalPlatformDriver implements PlatformDriver {

    public static final String NAME = "local";
    /** Instances this machine is asked to run at most, whatever the plan says. */
    static final int INSTANCE_LIMIT = 32;
    /** A few hundred loopback requests; generous because the machine may be busy with other instances. */
    private static final Duration PROXY_WARMUP_TIMEOUT = Duration.ofSeconds(60);

    /** Everything but the deployment spec. */
    public record Settings(
            LocalProfile profile,
            ScalingSettings scaling,
            int routerPort,
            Duration instanceReadyTimeout,
            Duration holdTimeout,
            InstanceLauncher launcher,
            Path modelDir,
            Clock clock) {

        /** A profile's defaults with the model-server jar launched as {@code java -jar} would. */
        public static Settings of(LocalProfile profile, InstanceLauncher launcher) {
            return new Settings(
                    profile,
                    profile.defaultScaling(),
                    0,
                    Duration.ofMinutes(2),
                    Duration.ofMinutes(2),
                    launcher,
                    null,
                    Clock.systemUTC());
        }

        public Settings withScaling(ScalingSettings newScaling) {
            return new Settings(
                    profile, newScaling, routerPort, instanceReadyTimeout, holdTimeout, launcher, modelDir, clock);
        }

        public Settings withTimeouts(Duration ready, Duration hold) {
            return new Settings(profile, scaling, routerPort, ready, hold, launcher, modelDir, clock);
        }

        public Settings withModelDir(Path dir) {
            return new Settings(profile, scaling, routerPort, instanceReadyTimeout, holdTimeout, launcher, dir, clock);
        }
    }

    /** Registered through ServiceLoader. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "serverless emulator on this machine: model-server child processes behind a scale-from-zero router"
                    + " (settings: profile, model-server-jar, model-dir, port, min-instances, max-instances, concurrency,"
                    + " scale-out-delay-ms, idle-timeout-ms, ready-timeout-ms, hold-timeout-ms)";
        }

        @Override
        public PlatformDriver create(Map<String, String> values) {
            DriverConfig config = new DriverConfig(NAME, values);
            LocalProfile profile = LocalProfile.named(config.string("profile", LocalProfile.LAMBDA_LIKE.profileName()));
            String defaultJar = System.getenv()
                    .getOrDefault("SALVO_MODEL_SERVER_JAR", "model-server/target/salvo-model-server.jar");
            Path jar = Path.of(config.string("model-server-jar", defaultJar));
            String modelDir = config.string("model-dir", null);
            int port = config.integer("port", 0);
            ScalingSettings scaling = profile.defaultScaling()
                    .with(
                            config.integer("concurrency", null),
                            config.integer("min-instances", null),
                            config.integer("max-instances", null),
                            config.millis("scale-out-delay-ms", null),
                            config.millis("idle-timeout-ms", null));
            Duration ready = config.millis("ready-timeout-ms", Duration.ofMinutes(2));
            Duration hold = config.millis("hold-timeout-ms", Duration.ofMinutes(2));
            config.rejectUnknownKeys();
            return new LocalPlatformDriver(new Settings(
                    profile,
                    scaling,
                    port,
                    ready,
                    hold,
                    JavaMainLauncher.forJar(jar, List.of()),
                    modelDir == null ? null : Path.of(modelDir),
                    Clock.systemUTC()));
        }
    }

    private final Settings settings;
    private final GroundTruth truth;
    private Vertx vertx;
    private ActivatorRouter router;
    private ScalingSettings scaling;
    private URI endpoint;
    private final TeardownHook shutdownHook = new TeardownHook("salvo-local-platform-shutdown", this::stopEverything);
    private Path logDir;
    /** The last deployment's spec, kept for {@link #usage}: its CPUs and memory are what the emulation bills. */
    private volatile DeploymentSpec deployed;

    public LocalPlatformDriver(Settings settings) {
        this.settings = settings;
        this.truth = new GroundTruth(settings.clock());
        this.scaling = settings.scaling();
    }

    @Override
    public String label() {
        return "local " + settings.profile().label();
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        List<String> violations = new ArrayList<>();
        if (spec.model() == null || spec.model().isBlank()) {
            violations.add("a model name is required");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (spec.cpusPerInstance() <= 0 || spec.cpusPerInstance() > cores) {
            violations.add(
                    "CPUs per instance must be in (0, " + cores + "] on this machine, got " + spec.cpusPerInstance());
        }
        if (spec.memoryMbPerInstance() < 64) {
            violations.add("memory per instance must be at least 64 MiB, got " + spec.memoryMbPerInstance());
        }
        try {
            ScalingSettings resolved = resolve(spec);
            if (resolved.maxInstances() > INSTANCE_LIMIT) {
                violations.add("at most " + INSTANCE_LIMIT + " instances run on one machine, asked for "
                        + resolved.maxInstances());
            }
        } catch (IllegalArgumentException e) {
            violations.add(e.getMessage());
        }
        violations.addAll(settings.launcher().problems());
        PlatformLimitException.check(NAME + " " + settings.profile().profileName(), violations);
    }

    private ScalingSettings resolve(DeploymentSpec spec) {
        return settings.scaling()
                .with(spec.concurrencyPerInstance(), spec.minInstances(), spec.maxInstances(), null, null);
    }

    @Override
    public synchronized URI deploy(DeploymentSpec spec) throws PlatformLimitException, PlatformException {
        validate(spec);
        if (router != null) {
            throw new IllegalStateException("already deployed; teardown() first");
        }
        scaling = resolve(spec);
        deployed = spec;
        try {
            logDir = Files.createTempDirectory("salvo-local-platform-");
        } catch (IOException e) {
            throw new PlatformException("cannot create a log directory for instances", e);
        }
        // registered before anything starts, so a Ctrl-C during start-up still stops what did start
        shutdownHook.arm();
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(4));
        try {
            // before the real router exists, so its first request (the ground truth's first stamp) meets a warm
            // HTTP/1.1 proxy path; see ProxyPathWarmup for the skew a cold one caused
            ProxyPathWarmup.runOncePerJvm(vertx, PROXY_WARMUP_TIMEOUT);
        } catch (IOException | TimeoutException e) {
            abandonBeforeRouter();
            throw new PlatformException(
                    "the local platform's router failed its warm-up on loopback: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            abandonBeforeRouter();
            Thread.currentThread().interrupt();
            throw new PlatformException("interrupted while warming the local platform's router up", e);
        }
        router = new ActivatorRouter(
                new ActivatorRouter.Config(
                        settings.routerPort(),
                        scaling,
                        settings.instanceReadyTimeout(),
                        settings.holdTimeout(),
                        settings.launcher(),
                        spec.model(),
                        settings.modelDir(),
                        spec.cpusPerInstance(),
                        spec.memoryMbPerInstance(),
                        spec.env(),
                        logDir),
                truth);
        try {
            vertx.deployVerticle(router).await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            teardown();
            throw new PlatformException("the local platform's router did not start: " + e.getMessage(), e);
        }
        endpoint = URI.create("http://127.0.0.1:" + router.port());
        return endpoint;
    }

    /** Undoes a deploy that failed before the router existed: nothing was launched, only Vert.x and the hook. */
    private void abandonBeforeRouter() {
        Vertx started = vertx;
        vertx = null;
        started.close();
        teardown();
    }

    @Override
    public synchronized URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("deploy() first");
        }
        return endpoint;
    }

    /** The scaling in force (profile defaults, then settings, then the deployment spec). */
    public ScalingSettings scaling() {
        return scaling;
    }

    /** Where instances' standard error goes ({@code local-N.log}); null before deploy. */
    public Path logDirectory() {
        return logDir;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        ActivatorRouter current = requireRouter();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int ready;
            try {
                ready = current.readyInstances()
                        .await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw e;
            } catch (Exception e) {
                throw new PlatformException("the local platform's router stopped: " + e.getMessage(), e);
            }
            if (ready >= scaling.minInstances()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(ready + " of " + scaling.minInstances() + " minimum instances ready after "
                        + timeout.toMillis() + " ms; see " + logDir);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public boolean canForceCold() {
        return true;
    }

    @Override
    public void forceCold() throws InterruptedException, PlatformException {
        ActivatorRouter current = requireRouter();
        List<String> retired;
        try {
            retired = current.retireAll("forced cold").await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new PlatformException("could not stop instances: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (String name : retired) {
            while (truth.record(name).stoppedAt() == null) {
                if (System.nanoTime() > deadline) {
                    throw new PlatformException("instance " + name + " did not stop within 15 s");
                }
                Thread.sleep(10);
            }
        }
        truth.restartFirstRequestClock();
    }

    private synchronized ActivatorRouter requireRouter() {
        if (router == null) {
            throw new IllegalStateException("deploy() first");
        }
        return router;
    }

    @Override
    public PlatformSignals signals() {
        return truth.snapshot(label());
    }

    /**
     * What the profile's model platform would bill for this deployment between two instants, computed from the
     * router's records ({@link LocalUsage}); every quantity is labelled an emulation. Empty before any deploy.
     */
    @Override
    public Optional<PlatformUsage> usage(Instant from, Instant to) {
        DeploymentSpec spec = deployed;
        if (spec == null) {
            return Optional.empty();
        }
        return Optional.of(LocalUsage.compute(
                settings.profile(),
                spec.cpusPerInstance(),
                spec.memoryMbPerInstance(),
                truth.served(),
                truth.snapshot(label()).instances(),
                from,
                to));
    }

    /** Ground truth of one instance by its platform name ({@code local-N}); null if unknown. */
    public InstanceRecord instance(String name) {
        return truth.record(name);
    }

    @Override
    public void teardown() {
        shutdownHook.tearDownNow();
    }

    /** Stops the router and every instance; waits up to 10 s for exits, then kills what is left. */
    private void stopEverything() {
        ActivatorRouter current;
        Vertx currentVertx;
        synchronized (this) {
            current = router;
            currentVertx = vertx;
            router = null;
            vertx = null;
            endpoint = null;
        }
        if (current == null) {
            return;
        }
        try {
            currentVertx.undeploy(current.deploymentID()).await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the hard kill below still runs
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process process : current.liveProcesses().values()) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            currentVertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing a Vert.x that could not close cleanly leaves only threads of this JVM behind
        }
    }
}
