package io.salvo.platform.cloudrun;

import com.google.api.gax.longrunning.OperationFuture;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.run.v2.CreateServiceRequest;
import com.google.cloud.run.v2.DeleteServiceRequest;
import com.google.cloud.run.v2.Service;
import com.google.cloud.run.v2.ServicesClient;
import com.google.cloud.run.v2.UpdateServiceRequest;
import com.google.iam.v1.Binding;
import com.google.iam.v1.GetIamPolicyRequest;
import com.google.iam.v1.Policy;
import com.google.iam.v1.SetIamPolicyRequest;
import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.platform.TeardownHook;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Google Cloud Run as a platform: the model-server image deployed as a Cloud Run service through the v2 Admin API.
 *
 * <ul>
 *   <li>{@link #deploy}: creates the service, or updates one that exists (and restores it at teardown); waits for
 *       the long-running operation; grants allUsers roles/run.invoker ({@code invoker=public}) or mints an ID token
 *       for the service URL that {@link #requestHeaders()} carries and {@link InvokerToken} keeps fresh.</li>
 *   <li>{@link #forceCold}: a new revision (the {@value ServiceTemplates#GENERATION_ENV} variable changes) with
 *       minimum instances 0 taking all traffic; then waits until no instance is alive (watched in Cloud Monitoring
 *       when allowed, otherwise a conservative wait of {@code cold-wait-ms}). Whether the next request really met a
 *       fresh instance is judged from responses ({@link #coldStartVerdict()}).</li>
 *   <li>{@link #signals} and {@link #usage}: instance counts from Cloud Monitoring when allowed, otherwise from the
 *       instance ids seen in responses, labelled so.</li>
 *   <li>{@link #teardown}: deletes what it created, restores what it updated, unless {@code keep}; a shutdown hook
 *       does it on Ctrl-C.</li>
 * </ul>
 *
 * <p>Settings: {@value CloudRunSettings#KEYS} (docs/platforms/cloud-run.md).
 */
public final class CloudRunPlatformDriver implements PlatformDriver {

    public static final String NAME = "cloud-run";
    public static final String INVOKER_ROLE = "roles/run.invoker";
    public static final String ALL_USERS = "allUsers";
    /** The model-server's readiness path (docs/model-server.md). */
    static final String READY_PATH = "/v2/health/ready";

    static final String IDS_SOURCE = "instance ids seen in responses (distinct Salvo-Instance-Id per minute; a lower"
            + " bound: idle instances answer nothing)";
    private static final Duration MONITORING_POLL = Duration.ofSeconds(30);
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Logger LOG = Logger.getLogger(CloudRunPlatformDriver.class.getName());

    /** Registered through ServiceLoader. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "Google Cloud Run service of the model-server image, Application Default Credentials (settings: "
                    + CloudRunSettings.KEYS + ")";
        }

        @Override
        public PlatformDriver create(Map<String, String> config) {
            CloudRunSettings settings = CloudRunSettings.parse(config, System.getenv());
            return new CloudRunPlatformDriver(
                    settings, new CloudRunClients(settings), d -> Thread.sleep(d.toMillis()), Instant::now);
        }
    }

    /** How the driver waits; tests pass one that moves a fake clock instead. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final CloudRunSettings settings;
    private final CloudRunClients clients;
    private final Sleeper sleeper;
    private final Supplier<Instant> now;
    private final ResponseObservations observations = new ResponseObservations();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ResolvedDeployment deployment;
    private URI endpoint;
    private Instant deployedAt;
    /** True from the moment a create was sent: teardown deletes (a failed create may still leave a service). */
    private boolean created;
    /** The service as it was before an update of a pre-existing one; restored at teardown. */
    private Service original;
    /** The IAM policy before invoker=public changed it on a pre-existing service. */
    private Policy originalPolicy;

    private int generation;
    private InvokerToken token;
    private ScheduledExecutorService tokenScheduler;
    private final TeardownHook shutdownHook = new TeardownHook("salvo-cloud-run-teardown", this::teardownQuietly);
    private boolean tornDown;
    private volatile String teardownProblem;

    public CloudRunPlatformDriver(
            CloudRunSettings settings, CloudRunClients clients, Sleeper sleeper, Supplier<Instant> now) {
        this.settings = settings;
        this.clients = clients;
        this.sleeper = sleeper;
        this.now = now;
    }

    public CloudRunSettings settings() {
        return settings;
    }

    @Override
    public String label() {
        return "cloud-run " + settings.service() + " (" + settings.project() + ", " + settings.region() + ")";
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        PlatformLimitException.check(NAME, CloudRunLimits.violations(ResolvedDeployment.of(spec, settings), settings));
    }

    @Override
    public URI deploy(DeploymentSpec spec) throws PlatformLimitException, PlatformException {
        validate(spec);
        synchronized (this) {
            if (deployment != null) {
                throw new IllegalStateException("already deployed; teardown() first");
            }
            deployment = ResolvedDeployment.of(spec, settings);
            tornDown = false;
            if (!settings.keep()) {
                // before anything is created, so a Ctrl-C during the create still removes it
                shutdownHook.arm();
            }
        }
        try {
            ServicesClient services = clients.services();
            Service existing = existing(services);
            Service desired = ServiceTemplates.service(settings, deployment, generation);
            Service result;
            if (existing == null) {
                String action = "creating service " + settings.serviceName();
                OperationFuture<Service, Service> create = services.createServiceAsync(CreateServiceRequest.newBuilder()
                        .setParent(settings.parent())
                        .setServiceId(settings.service())
                        .setService(desired.toBuilder().clearName())
                        .build());
                accepted(action, create);
                synchronized (this) {
                    // accepted: from here a failure may still leave a service (e.g. a revision that cannot start)
                    created = true;
                }
                result = await(action, create);
            } else {
                String action = "updating service " + settings.serviceName();
                OperationFuture<Service, Service> update = services.updateServiceAsync(
                        UpdateServiceRequest.newBuilder().setService(desired).build());
                accepted(action, update);
                synchronized (this) {
                    original = existing;
                }
                result = await(action, update);
            }
            URI uri = uri(services, result);
            grantInvoker(services, uri);
            synchronized (this) {
                endpoint = uri;
                deployedAt = now.get();
            }
            return uri;
        } catch (PlatformException | RuntimeException e) {
            teardown();
            throw e;
        }
    }

    private Service existing(ServicesClient services) throws PlatformException {
        try {
            return services.getService(settings.serviceName());
        } catch (ApiException e) {
            if (CloudRunErrors.isNotFound(e)) {
                return null;
            }
            throw CloudRunErrors.translate("reading service " + settings.serviceName(), e, settings);
        }
    }

    private URI uri(ServicesClient services, Service result) throws PlatformException {
        String uri = result.getUri();
        if (uri.isEmpty()) {
            try {
                uri = services.getService(settings.serviceName()).getUri();
            } catch (ApiException e) {
                throw CloudRunErrors.translate("reading the URL of " + settings.serviceName(), e, settings);
            }
        }
        if (uri.isEmpty()) {
            throw new PlatformException("cloud-run: service " + settings.serviceName()
                    + " is deployed but has no URL (is default-uri disabled?)");
        }
        return URI.create(uri);
    }

    private void grantInvoker(ServicesClient services, URI uri) throws PlatformException {
        if (settings.publicInvoker()) {
            try {
                Policy policy = services.getIamPolicy(GetIamPolicyRequest.newBuilder()
                        .setResource(settings.serviceName())
                        .build());
                if (!grantsPublicInvoker(policy)) {
                    synchronized (this) {
                        if (original != null) {
                            originalPolicy = policy;
                        }
                    }
                    services.setIamPolicy(SetIamPolicyRequest.newBuilder()
                            .setResource(settings.serviceName())
                            .setPolicy(withPublicInvoker(policy))
                            .build());
                }
            } catch (ApiException e) {
                throw CloudRunErrors.translate(
                        "granting " + ALL_USERS + " " + INVOKER_ROLE + " on " + settings.serviceName(), e, settings);
            }
            return;
        }
        InvokerToken fresh;
        synchronized (this) {
            tokenScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "salvo-cloud-run-id-token");
                t.setDaemon(true);
                return t;
            });
            fresh = new InvokerToken(
                    clients.idTokens(),
                    uri.toString(),
                    InvokerToken.DEFAULT_REFRESH_BEFORE,
                    InvokerToken.DEFAULT_RETRY_DELAY,
                    tokenScheduler,
                    now);
            token = fresh;
        }
        try {
            fresh.start();
        } catch (IOException e) {
            throw CloudRunErrors.missingCredentials(e);
        }
    }

    static boolean grantsPublicInvoker(Policy policy) {
        return policy.getBindingsList().stream()
                .anyMatch(b ->
                        b.getRole().equals(INVOKER_ROLE) && b.getMembersList().contains(ALL_USERS));
    }

    static Policy withPublicInvoker(Policy policy) {
        Policy.Builder builder = policy.toBuilder();
        for (int i = 0; i < builder.getBindingsCount(); i++) {
            Binding binding = builder.getBindings(i);
            if (binding.getRole().equals(INVOKER_ROLE) && !binding.hasCondition()) {
                builder.setBindings(i, binding.toBuilder().addMembers(ALL_USERS));
                return builder.build();
            }
        }
        return builder.addBindings(Binding.newBuilder().setRole(INVOKER_ROLE).addMembers(ALL_USERS))
                .build();
    }

    /** Waits until the API accepted the request (the operation exists); a refusal here changed nothing. */
    private void accepted(String action, OperationFuture<Service, Service> operation) throws PlatformException {
        try {
            operation.getInitialFuture().get(settings.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw CloudRunErrors.translate(action, e, settings);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("cloud-run: interrupted while " + action);
        }
    }

    private Service await(String action, OperationFuture<Service, Service> operation) throws PlatformException {
        try {
            return operation.get(settings.operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw CloudRunErrors.translate(action, e, settings);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("cloud-run: interrupted while " + action);
        }
    }

    @Override
    public synchronized URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("deploy() first");
        }
        return endpoint;
    }

    /**
     * Headers every request to the service must carry: {@code Authorization: Bearer <ID token>} with
     * {@code invoker=id-token}, nothing with {@code invoker=public}. The token is valid for
     * {@link InvokerToken#remainingValidity()}; {@link #invokerToken()} tells its listeners about each refresh.
     */
    public Map<String, String> requestHeaders() {
        InvokerToken current;
        synchronized (this) {
            current = token;
        }
        return current == null ? Map.of() : Map.of("Authorization", current.authorizationValue());
    }

    /**
     * With {@code invoker=id-token}: {@code Authorization: Bearer <ID token>} on every request, to be asked for again
     * at {@link RequestHeaders#renewAt()} (10 minutes before the token expires); the caller sends each new token to
     * the workers, so runs of any length stay authorized. Nothing with {@code invoker=public}.
     *
     * @throws PlatformException when a token is due and cannot be minted (the message says what to check)
     */
    @Override
    public RequestHeaders requestHeaders(RunRequests requests) throws PlatformException {
        InvokerToken current;
        synchronized (this) {
            current = token;
        }
        if (current == null) {
            return RequestHeaders.NONE;
        }
        try {
            return current.requestHeaders();
        } catch (IOException e) {
            throw new CloudRunErrors.CloudRunException(
                    CloudRunErrors.Kind.CREDENTIALS,
                    "cloud-run: cannot mint an ID token for " + endpoint + ": "
                            + CloudRunErrors.firstLine(e.getMessage())
                            + " (check Application Default Credentials: gcloud auth application-default login, or a"
                            + " service account that can mint ID tokens)");
        }
    }

    /** The ID token keeper with {@code invoker=id-token} after deploy; empty otherwise. */
    public synchronized Optional<InvokerToken> invokerToken() {
        return Optional.ofNullable(token);
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        URI probe = endpoint().resolve(READY_PATH);
        Instant deadline = now.get().plus(timeout);
        String last = "no answer yet";
        while (true) {
            try {
                int status = probe();
                if (status / 100 == 2) {
                    return;
                }
                last = "HTTP " + status;
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + ": " + CloudRunErrors.firstLine(e.getMessage());
            }
            if (!now.get().isBefore(deadline)) {
                String hint = last.equals("HTTP 401") || last.equals("HTTP 403")
                        ? "; the caller needs roles/run.invoker on the service (invoker=id-token), or set invoker=public"
                        : "";
                throw new TimeoutException(
                        probe + " was not ready within " + timeout.toMillis() + " ms (last: " + last + hint + ")");
            }
            sleeper.sleep(Duration.ofMillis(500));
        }
    }

    /**
     * One GET of the model-server's readiness path with the invoker headers; records the instance that answered.
     *
     * @return the HTTP status
     */
    public int probe() throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint().resolve(READY_PATH))
                .timeout(Duration.ofSeconds(30))
                .GET();
        requestHeaders().forEach(request::header);
        HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        Instant startedAt = response.headers()
                .firstValue("Salvo-Instance-Started-At")
                .flatMap(CloudRunPlatformDriver::epochMillis)
                .orElse(null);
        observeResponses(
                now.get(), response.headers().firstValue("Salvo-Instance-Id").orElse(null), startedAt, 1);
        return response.statusCode();
    }

    private static Optional<Instant> epochMillis(String value) {
        try {
            return Optional.of(Instant.ofEpochMilli(Long.parseLong(value.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Records responses seen by anyone (the driver's probes, or a run's workers through the caller): the instance
     * that answered ({@code Salvo-Instance-Id}; null if absent), when it started ({@code Salvo-Instance-Started-At};
     * null if unknown) and how many responses this observation stands for.
     */
    @Override
    public void observeResponses(Instant at, String instanceId, Instant instanceStartedAt, long responses) {
        observations.observe(at, instanceId, instanceStartedAt, responses);
    }

    @Override
    public boolean canForceCold() {
        return true;
    }

    @Override
    public void forceCold() throws InterruptedException, PlatformException {
        ResolvedDeployment current;
        int next;
        synchronized (this) {
            if (deployment == null || endpoint == null) {
                throw new IllegalStateException("deploy() first");
            }
            current = deployment;
            next = ++generation;
        }
        ServicesClient services = clients.services();
        Service desired = ServiceTemplates.service(settings, current.withMinInstances(0), next);
        Service result = await(
                "deploying a new revision of " + settings.serviceName() + " for a cold start",
                services.updateServiceAsync(
                        UpdateServiceRequest.newBuilder().setService(desired).build()));
        Instant revisionReady = now.get();
        LOG.info(() -> "cloud-run: revision " + result.getLatestCreatedRevision() + " takes all traffic; waiting"
                + " until no instance is alive");
        Optional<PlatformMetrics> metrics = clients.metrics();
        if (metrics.isPresent()) {
            awaitNoInstance(metrics.get(), revisionReady);
        } else {
            // Cloud Run keeps an idle instance at most 15 minutes: without monitoring, wait that out
            sleeper.sleep(settings.coldWait());
        }
        observations.markCold(now.get());
    }

    /**
     * Cloud Monitoring shows a minute's sample up to 3 minutes after it (cloud.google.com/monitoring/api/metrics_gcp,
     * "run"); a minute more of margin.
     */
    static final Duration MONITORING_LAG = Duration.ofMinutes(4);

    /**
     * Polls instance counts until no instance is alive: a minute that began after {@code since} shows none, or the
     * counts went silent (no minute with an instance for {@link #MONITORING_LAG}: Cloud Monitoring may write no point
     * at all for a revision without instances). If Monitoring never showed any sample, the wait lasts {@code
     * cold-wait-ms}, as without it.
     */
    private void awaitNoInstance(PlatformMetrics metrics, Instant since)
            throws InterruptedException, PlatformException {
        Instant deadline = since.plus(settings.coldWait());
        boolean anySample = false;
        while (true) {
            Instant at = now.get();
            List<InstanceCountSample> samples = metrics.instanceCounts(settings.service(), since.minus(WINDOW), at);
            anySample |= !samples.isEmpty();
            InstanceCountSample latest = samples.isEmpty() ? null : samples.get(samples.size() - 1);
            if (latest != null && !latest.at().isBefore(since) && latest.total() == 0) {
                return;
            }
            Instant lastAlive = null;
            for (InstanceCountSample sample : samples) {
                if (sample.total() > 0) {
                    lastAlive = sample.at().plus(WINDOW);
                }
            }
            if (lastAlive != null
                    && !lastAlive.plus(MONITORING_LAG).isAfter(at)
                    && !since.plus(MONITORING_LAG).isAfter(at)) {
                return;
            }
            if (!at.isBefore(deadline)) {
                if (!anySample) {
                    LOG.warning(() -> "cloud-run: Cloud Monitoring showed no instance count for "
                            + settings.serviceName() + "; waited cold-wait-ms ("
                            + settings.coldWait().toMinutes() + " min) instead");
                    return;
                }
                throw new PlatformException("cloud-run: instances of " + settings.serviceName()
                        + " were still alive " + settings.coldWait().toMinutes() + " min after the cold-start revision"
                        + " took all traffic (last count: " + (latest == null ? "none" : latest.total())
                        + " at " + (latest == null ? "-" : latest.at()) + "); is something else sending requests?");
            }
            sleeper.sleep(MONITORING_POLL);
        }
    }

    /** Whether the first response after the last {@link #forceCold()} came from a fresh instance. */
    @Override
    public ColdStartVerdict coldStartVerdict() {
        return observations.coldStartVerdict();
    }

    @Override
    public PlatformSignals signals() {
        Instant from;
        synchronized (this) {
            from = deployedAt;
        }
        Optional<PlatformMetrics> metrics = Optional.empty();
        String fallbackNote = "";
        try {
            metrics = from == null ? Optional.empty() : clients.metrics();
            if (metrics.isPresent()) {
                return new PlatformSignals(
                        metrics.get().source(),
                        observations.instances(),
                        metrics.get().instanceCounts(settings.service(), from.minus(WINDOW), now.get()),
                        null,
                        null);
            }
        } catch (PlatformException e) {
            fallbackNote = " (Cloud Monitoring failed: " + e.getMessage() + ")";
        }
        return new PlatformSignals(
                IDS_SOURCE + fallbackNote, observations.instances(), observations.countsPerWindow(WINDOW), null, null);
    }

    /**
     * Billed quantities of the window: with Cloud Monitoring, from Cloud Run's own billable instance time (else its
     * instance counts); without it, from the instance ids seen in responses. Requests from Monitoring's request count,
     * else from the responses observed. Every figure says where it comes from and that it is an estimate.
     */
    @Override
    public Optional<PlatformUsage> usage(Instant from, Instant to) throws InterruptedException, PlatformException {
        ResolvedDeployment current;
        synchronized (this) {
            current = deployment;
        }
        if (current == null) {
            return Optional.empty();
        }
        Optional<PlatformMetrics> metrics = clients.metrics();
        Long requests = null;
        String requestsBasis = "";
        if (metrics.isPresent()) {
            OptionalLong count = metrics.get().requestCount(settings.service(), from, to);
            if (count.isPresent()) {
                requests = count.getAsLong();
                requestsBasis = "Cloud Monitoring " + CloudMonitoringMetrics.REQUEST_COUNT;
            }
        }
        if (requests == null && observations.any()) {
            requests = observations.responsesBetween(from, to);
            requestsBasis = "responses Salvo observed";
        }
        if (metrics.isPresent()) {
            OptionalDouble billable = metrics.get().billableInstanceSeconds(settings.service(), from, to);
            if (billable.isPresent()) {
                return Optional.of(UsageEstimator.fromBillableTime(
                        billable.getAsDouble(),
                        "Cloud Monitoring " + CloudMonitoringMetrics.BILLABLE_INSTANCE_TIME,
                        from,
                        to,
                        current.cpu(),
                        current.memoryGib(),
                        settings.cpuAlwaysAllocated(),
                        requests,
                        requestsBasis));
            }
        }
        List<InstanceCountSample> counts = metrics.isPresent()
                ? metrics.get().instanceCounts(settings.service(), from.minus(WINDOW), to)
                : observations.countsPerWindow(WINDOW);
        String countsSource = metrics.isPresent() ? metrics.get().source() : IDS_SOURCE;
        return Optional.of(UsageEstimator.estimate(
                counts,
                countsSource,
                from,
                to,
                current.cpu(),
                current.memoryGib(),
                settings.cpuAlwaysAllocated(),
                requests,
                requestsBasis));
    }

    /** Why the last teardown could not finish; null when it did. */
    public String teardownProblem() {
        return teardownProblem;
    }

    @Override
    public void teardown() {
        shutdownHook.tearDownNow();
    }

    private void teardownQuietly() {
        boolean delete;
        Service restore;
        Policy restorePolicy;
        synchronized (this) {
            if (tornDown || deployment == null) {
                return;
            }
            tornDown = true;
            delete = created;
            restore = original;
            restorePolicy = originalPolicy;
            if (token != null) {
                token.close();
            }
            if (tokenScheduler != null) {
                tokenScheduler.shutdownNow();
            }
        }
        List<String> problems = new ArrayList<>();
        if (settings.keep()) {
            LOG.info(() -> "cloud-run: keeping " + settings.serviceName() + " (keep=true)");
        } else {
            try {
                ServicesClient services = clients.services();
                if (delete) {
                    delete(services, problems);
                } else if (restore != null) {
                    restore(services, restore, restorePolicy, problems);
                }
            } catch (PlatformException e) {
                problems.add(e.getMessage());
            }
        }
        clients.close();
        synchronized (this) {
            deployment = null;
            endpoint = null;
            created = false;
            original = null;
            originalPolicy = null;
            token = null;
            tokenScheduler = null;
        }
        teardownProblem = problems.isEmpty() ? null : String.join("; ", problems);
        if (teardownProblem != null) {
            LOG.warning(teardownProblem);
        }
    }

    private void delete(ServicesClient services, List<String> problems) {
        try {
            await(
                    "deleting service " + settings.serviceName(),
                    services.deleteServiceAsync(DeleteServiceRequest.newBuilder()
                            .setName(settings.serviceName())
                            .build()));
        } catch (PlatformException e) {
            if (!(e instanceof CloudRunErrors.CloudRunException c && c.kind() == CloudRunErrors.Kind.NOT_FOUND)) {
                problems.add(e.getMessage() + " Delete it by hand: gcloud run services delete " + settings.service()
                        + " --project " + settings.project() + " --region " + settings.region());
            }
        } catch (RuntimeException e) {
            problems.add("cloud-run: deleting " + settings.serviceName() + " failed: " + e.getMessage());
        }
    }

    private void restore(ServicesClient services, Service restore, Policy restorePolicy, List<String> problems) {
        try {
            await(
                    "restoring service " + settings.serviceName(),
                    services.updateServiceAsync(UpdateServiceRequest.newBuilder()
                            .setService(ServiceTemplates.restorable(restore))
                            .build()));
            if (restorePolicy != null) {
                services.setIamPolicy(SetIamPolicyRequest.newBuilder()
                        .setResource(settings.serviceName())
                        .setPolicy(restorePolicy.toBuilder().clearEtag())
                        .build());
            }
        } catch (PlatformException e) {
            problems.add(e.getMessage());
        } catch (ApiException e) {
            problems.add(CloudRunErrors.translate("restoring the IAM policy of " + settings.serviceName(), e, settings)
                    .getMessage());
        } catch (RuntimeException e) {
            problems.add("cloud-run: restoring " + settings.serviceName() + " failed: " + e.getMessage());
        }
    }
}
