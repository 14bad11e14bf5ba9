package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.CreateServiceRequest;
import com.google.cloud.run.v2.DeleteServiceRequest;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.ExecutionEnvironment;
import com.google.cloud.run.v2.RevisionTemplate;
import com.google.cloud.run.v2.Service;
import com.google.cloud.run.v2.TrafficTarget;
import com.google.cloud.run.v2.TrafficTargetAllocationType;
import com.google.cloud.run.v2.UpdateServiceRequest;
import com.google.iam.v1.Binding;
import com.google.iam.v1.Policy;
import com.google.iam.v1.SetIamPolicyRequest;
import io.grpc.Status;
import io.salvo.platform.ColdStartVerdict;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.testkit.FakeClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cloud-run driver against the real generated Cloud Run v2 Services API and long-running Operations served in
 * process ({@link FakeCloudRun}), with a loopback HTTP server standing in for the model-server behind the service URL
 * ({@link InstanceServer}) and a fake clock for every wait.
 */
class CloudRunPlatformDriverTest {

    private static final String NAME = "projects/proj-1/locations/europe-west1/services/salvo-bench";

    private FakeCloudRun fake;
    private InstanceServer instances;
    private final FakeClock clock = new FakeClock();
    private final List<Duration> sleeps = new ArrayList<>();
    private CloudRunPlatformDriver driver;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeCloudRun();
        instances = new InstanceServer();
        fake.serviceUrl = instances.url();
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.teardown();
        }
        instances.close();
        fake.close();
    }

    private Instant now() {
        return Instant.EPOCH.plusNanos(clock.unixNanos());
    }

    private static Map<String, String> base() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("project", "proj-1");
        config.put("region", "europe-west1");
        config.put("service", "salvo-bench");
        config.put("image", "europe-west1-docker.pkg.dev/proj-1/salvo/model-server:minilm");
        config.put("operation-poll-ms", "5");
        return config;
    }

    private CloudRunPlatformDriver driver(Map<String, String> config, PlatformMetrics metrics) {
        CloudRunSettings settings = CloudRunSettings.parse(config, Map.of());
        InvokerToken.Source tokens = audience -> new InvokerToken.Token("tok-for-" + audience, now().plusSeconds(3600));
        driver = new CloudRunPlatformDriver(
                settings,
                new TestClients(fake, settings, metrics, tokens),
                d -> {
                    sleeps.add(d);
                    clock.forward(d);
                },
                this::now);
        return driver;
    }

    private static DeploymentSpec spec() {
        return new DeploymentSpec("minilm", 2, 4096, 0, 5, 8, Map.of("SALVO_MAX_BATCH", "4"));
    }

    @Test
    void deployCreatesTheServiceWithTheExactResourcesScalingRevisionAndTraffic() throws Exception {
        Map<String, String> config = base();
        config.put("startup-cpu-boost", "true");
        config.put("execution-environment", "gen2");
        config.put("timeout-seconds", "120");
        config.put("env", "JAVA_TOOL_OPTIONS=-Xss1m");
        config.put("invoker", "public");
        fake.pollsBeforeDone = 2;

        URI uri = driver(config, null).deploy(spec());

        assertThat(uri).isEqualTo(URI.create(instances.url()));
        assertThat(driver.endpoint()).isEqualTo(uri);
        List<CreateServiceRequest> creates = fake.requestsOf(CreateServiceRequest.class);
        assertThat(creates).hasSize(1);
        CreateServiceRequest create = creates.get(0);
        assertThat(create.getParent()).isEqualTo("projects/proj-1/locations/europe-west1");
        assertThat(create.getServiceId()).isEqualTo("salvo-bench");
        Service service = create.getService();
        assertThat(service.getName()).isEmpty(); // the id travels in service_id
        assertThat(service.getLabelsMap()).containsEntry("managed-by", "salvo");
        assertThat(service.getTrafficList())
                .containsExactly(TrafficTarget.newBuilder()
                        .setType(TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)
                        .setPercent(100)
                        .build());
        RevisionTemplate template = service.getTemplate();
        assertThat(template.getScaling().getMinInstanceCount()).isZero();
        assertThat(template.getScaling().getMaxInstanceCount()).isEqualTo(5);
        assertThat(template.getMaxInstanceRequestConcurrency()).isEqualTo(8);
        assertThat(template.getTimeout().getSeconds()).isEqualTo(120);
        assertThat(template.getExecutionEnvironment()).isEqualTo(ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN2);
        assertThat(template.getContainersList()).hasSize(1);
        Container container = template.getContainers(0);
        assertThat(container.getImage()).isEqualTo("europe-west1-docker.pkg.dev/proj-1/salvo/model-server:minilm");
        assertThat(container.getPorts(0).getContainerPort()).isEqualTo(8080);
        assertThat(container.getPorts(0).getName()).isEqualTo("http1");
        assertThat(container.getResources().getLimitsMap())
                .containsOnly(Map.entry("cpu", "2"), Map.entry("memory", "4096Mi"));
        assertThat(container.getResources().getCpuIdle())
                .as("request-based billing")
                .isTrue();
        assertThat(container.getResources().getStartupCpuBoost()).isTrue();
        assertThat(env(container))
                .containsExactly(
                        Map.entry("JAVA_TOOL_OPTIONS", "-Xss1m"),
                        Map.entry("SALVO_MAX_BATCH", "4"),
                        Map.entry("SALVO_MODEL", "minilm"),
                        Map.entry("SALVO_COLD_GENERATION", "0"));
        // the long-running operation was polled until done: two "not done" answers, then done
        assertThat(fake.operationPolls.get()).isEqualTo(3);
        // public invoker: allUsers get roles/run.invoker on the service
        List<SetIamPolicyRequest> iam = fake.requestsOf(SetIamPolicyRequest.class);
        assertThat(iam).hasSize(1);
        assertThat(iam.get(0).getResource()).isEqualTo(NAME);
        assertThat(iam.get(0).getPolicy().getBindingsList())
                .containsExactly(Binding.newBuilder()
                        .setRole("roles/run.invoker")
                        .addMembers("allUsers")
                        .build());
        assertThat(driver.requestHeaders()).isEmpty();
    }

    private static Map<String, String> env(Container container) {
        return container.getEnvList().stream()
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue, (a, b) -> b, LinkedHashMap::new));
    }

    @Test
    void cpuAlwaysAllocatedTurnsCpuIdleOffAndGen1IsSent() throws Exception {
        Map<String, String> config = base();
        config.put("cpu-always-allocated", "true");
        config.put("execution-environment", "gen1");
        config.put("invoker", "public");
        driver(config, null).deploy(spec());
        RevisionTemplate template =
                fake.requestsOf(CreateServiceRequest.class).get(0).getService().getTemplate();
        assertThat(template.getContainers(0).getResources().getCpuIdle()).isFalse();
        assertThat(template.getExecutionEnvironment()).isEqualTo(ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN1);
    }

    @Test
    void teardownDeletesTheServiceItCreatedOnceAndKeepLeavesIt() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        driver(config, null).deploy(spec());
        assertThat(fake.services).containsKey(NAME);

        driver.teardown();
        driver.teardown();

        assertThat(fake.requestsOf(DeleteServiceRequest.class))
                .extracting(DeleteServiceRequest::getName)
                .containsExactly(NAME);
        assertThat(fake.services).doesNotContainKey(NAME);
        assertThat(driver.teardownProblem()).isNull();

        FakeCloudRun first = fake;
        first.close();
        fake = new FakeCloudRun();
        fake.serviceUrl = instances.url();
        config.put("keep", "true");
        driver(config, null).deploy(spec());
        driver.teardown();
        assertThat(fake.requestsOf(DeleteServiceRequest.class)).isEmpty();
        assertThat(fake.services).containsKey(NAME);
    }

    @Test
    void aServiceThatExistedIsUpdatedThenRestoredWithItsIamPolicy() throws Exception {
        Service before = Service.newBuilder()
                .setName(NAME)
                .setUri(instances.url())
                .setEtag("old")
                .setTemplate(RevisionTemplate.newBuilder()
                        .setRevision("salvo-bench-handmade")
                        .addContainers(Container.newBuilder().setImage("gcr.io/x/old:1")))
                .build();
        fake.services.put(NAME, before);
        Policy policy = Policy.newBuilder()
                .addBindings(Binding.newBuilder().setRole("roles/run.invoker").addMembers("user:a@example.com"))
                .setEtag(com.google.protobuf.ByteString.copyFromUtf8("e1"))
                .build();
        fake.policies.put(NAME, policy);
        Map<String, String> config = base();
        config.put("invoker", "public");

        driver(config, null).deploy(spec());

        assertThat(fake.requestsOf(CreateServiceRequest.class)).isEmpty();
        UpdateServiceRequest update =
                fake.requestsOf(UpdateServiceRequest.class).get(0);
        assertThat(update.getService().getName()).isEqualTo(NAME);
        assertThat(update.getService().getTemplate().getContainers(0).getImage())
                .endsWith("model-server:minilm");
        SetIamPolicyRequest grant = fake.requestsOf(SetIamPolicyRequest.class).get(0);
        assertThat(grant.getPolicy().getBindings(0).getMembersList()).containsExactly("user:a@example.com", "allUsers");

        driver.teardown();

        assertThat(fake.requestsOf(DeleteServiceRequest.class)).isEmpty();
        List<UpdateServiceRequest> updates = fake.requestsOf(UpdateServiceRequest.class);
        Service restored = updates.get(updates.size() - 1).getService();
        assertThat(restored.getTemplate().getContainers(0).getImage()).isEqualTo("gcr.io/x/old:1");
        assertThat(restored.getTemplate().getRevision())
                .as("Cloud Run names the restored revision")
                .isEmpty();
        assertThat(restored.getEtag()).isEmpty();
        List<SetIamPolicyRequest> iam = fake.requestsOf(SetIamPolicyRequest.class);
        assertThat(iam).hasSize(2);
        assertThat(iam.get(1).getPolicy().getBindings(0).getMembersList()).containsExactly("user:a@example.com");
    }

    @Test
    void permissionDeniedNamesTheRolesAndLeavesNoStackTrace() {
        fake.failNext.put(
                "CreateService",
                Status.PERMISSION_DENIED.withDescription(
                        "Permission 'run.services.create' denied on resource '" + NAME + "' (or it may not exist)."));
        driver(base(), null);
        assertThatThrownBy(() -> driver.deploy(spec()))
                .isInstanceOf(PlatformException.class)
                .satisfies(e -> assertThat(((CloudRunErrors.CloudRunException) e).kind())
                        .isEqualTo(CloudRunErrors.Kind.PERMISSION))
                .hasMessageContaining("creating service " + NAME)
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageContaining("run.services.create")
                .hasMessageContaining("roles/run.admin")
                .hasMessageContaining("roles/iam.serviceAccountUser")
                .hasMessageNotContaining("\tat ")
                .hasMessageNotContaining("StatusRuntimeException")
                .hasMessageNotContaining("\n");
        // the create was refused, so nothing exists and nothing is deleted
        assertThat(fake.requestsOf(DeleteServiceRequest.class)).isEmpty();
        assertThat(driver.teardownProblem()).isNull();
    }

    @Test
    void quotaExhaustedSaysWhichQuotasToCheck() {
        fake.failNext.put(
                "CreateService",
                Status.RESOURCE_EXHAUSTED.withDescription(
                        "Quota exceeded for total allowable CPU per project per region."));
        driver(base(), null);
        assertThatThrownBy(() -> driver.deploy(spec()))
                .satisfies(e -> assertThat(((CloudRunErrors.CloudRunException) e).kind())
                        .isEqualTo(CloudRunErrors.Kind.QUOTA))
                .hasMessageContaining("RESOURCE_EXHAUSTED")
                .hasMessageContaining("quota")
                .hasMessageContaining("proj-1")
                .hasMessageContaining("europe-west1")
                .hasMessageContaining("max-instances");
    }

    @Test
    void anOperationThatFailsWithNotFoundNamesImageAndProjectAndTheServiceIsRemoved() {
        fake.failOperation.put(
                "CreateService",
                Status.NOT_FOUND.withDescription(
                        "Image 'europe-west1-docker.pkg.dev/proj-1/salvo/model-server:minilm' not found."));
        driver(base(), null);
        assertThatThrownBy(() -> driver.deploy(spec()))
                .satisfies(e -> assertThat(((CloudRunErrors.CloudRunException) e).kind())
                        .isEqualTo(CloudRunErrors.Kind.NOT_FOUND))
                .hasMessageContaining("NOT_FOUND")
                .hasMessageContaining("run.googleapis.com")
                .hasMessageContaining("image 'europe-west1-docker.pkg.dev/proj-1/salvo/model-server:minilm'");
        // the failed create left a service behind: the failed deploy removed it
        assertThat(fake.requestsOf(DeleteServiceRequest.class))
                .extracting(DeleteServiceRequest::getName)
                .containsExactly(NAME);
        assertThat(fake.services).isEmpty();
    }

    @Test
    void invalidArgumentPointsAtTheSettings() {
        fake.failNext.put(
                "CreateService",
                Status.INVALID_ARGUMENT.withDescription(
                        "spec.template.spec.containers[0].resources.limits.cpu: invalid"));
        driver(base(), null);
        assertThatThrownBy(() -> driver.deploy(spec()))
                .satisfies(e -> assertThat(((CloudRunErrors.CloudRunException) e).kind())
                        .isEqualTo(CloudRunErrors.Kind.INVALID))
                .hasMessageContaining("limits.cpu")
                .hasMessageContaining("docs/platforms/cloud-run.md");
    }

    @Test
    void aLimitViolationFailsBeforeAnyApiCall() {
        driver(base(), null);
        assertThatThrownBy(() -> driver.deploy(new DeploymentSpec("minilm", 1, 8192, 0, 5, 8, Map.of())))
                .isInstanceOf(PlatformLimitException.class)
                .hasMessageContaining("at least 2 vCPU above 4 GiB");
        assertThat(fake.requests).isEmpty();
    }

    @Test
    void idTokenTravelsAsAuthorizationAndReadinessRecordsTheInstance() throws Exception {
        instances.instanceId = "instance-a";
        driver(base(), null).deploy(spec());

        assertThat(fake.requestsOf(SetIamPolicyRequest.class))
                .as("no public access")
                .isEmpty();
        assertThat(driver.requestHeaders())
                .containsExactly(Map.entry("Authorization", "Bearer tok-for-" + instances.url()));
        io.salvo.platform.RequestHeaders forRun = driver.requestHeaders(new io.salvo.platform.RunRequests(
                "POST", java.net.URI.create(instances.url() + "/v2/models/m/infer"), Map.of(), java.util.List.of()));
        assertThat(forRun.shared()).containsExactly(Map.entry("Authorization", "Bearer tok-for-" + instances.url()));
        assertThat(forRun.renewAt())
                .as("asked again 10 minutes before the token expires")
                .isEqualTo(driver.invokerToken().orElseThrow().expiresAt().minus(Duration.ofMinutes(10)));

        driver.awaitReady(Duration.ofSeconds(30));

        assertThat(instances.authorizations).containsOnly("Bearer tok-for-" + instances.url());
        assertThat(driver.signals().instances()).extracting(r -> r.instanceId()).containsExactly("instance-a");
    }

    @Test
    void forceColdDeploysAMinZeroRevisionWaitsForNoInstanceInMonitoringAndIsVerifiedByANewInstanceId()
            throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        config.put("min-instances", "2");
        ScriptedMetrics metrics = new ScriptedMetrics(this::now);
        driver(config, metrics).deploy(new DeploymentSpec("minilm", 1, 1024, null, 4, 10, Map.of()));
        instances.instanceId = "instance-a";
        driver.probe();
        assertThat(driver.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.NOT_FORCED);

        // monitoring sees the old instances for 3 more minutes
        metrics.instancesUntil = now().plus(Duration.ofMinutes(3));
        driver.forceCold();

        UpdateServiceRequest update =
                fake.requestsOf(UpdateServiceRequest.class).get(0);
        RevisionTemplate template = update.getService().getTemplate();
        assertThat(template.getScaling().getMinInstanceCount()).isZero();
        assertThat(template.getScaling().getMaxInstanceCount()).isEqualTo(4);
        assertThat(env(template.getContainers(0))).containsEntry("SALVO_COLD_GENERATION", "1");
        assertThat(update.getService().getTrafficList().get(0).getPercent()).isEqualTo(100);
        // polled every 30 s until a minute that began after the revision showed no instance
        assertThat(sleeps).isNotEmpty().allMatch(d -> d.equals(Duration.ofSeconds(30)));
        assertThat(now()).isAfterOrEqualTo(metrics.instancesUntil);
        assertThat(driver.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.PENDING);

        // the first response after the forced cold start comes from a new instance, started after it
        instances.instanceId = "instance-b";
        instances.startedAtMillis = now().toEpochMilli() + 1;
        driver.probe();
        ColdStartVerdict verdict = driver.coldStartVerdict();
        assertThat(verdict.state()).isEqualTo(ColdStartVerdict.State.VERIFIED);
        assertThat(verdict.firstInstanceId()).isEqualTo("instance-b");
        assertThat(verdict.idsBefore()).containsExactly("instance-a");

        // a second forced cold start that an old instance survives is caught
        driver.forceCold();
        driver.probe();
        assertThat(driver.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.REUSED_INSTANCE);
        assertThat(env(fake.requestsOf(UpdateServiceRequest.class)
                        .get(1)
                        .getService()
                        .getTemplate()
                        .getContainers(0)))
                .containsEntry("SALVO_COLD_GENERATION", "2");
    }

    @Test
    void anInstanceStartedBeforeTheColdStartFinishedDoesNotVerifyIt() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        driver(config, null).deploy(spec());
        instances.instanceId = "instance-a";
        driver.probe();
        driver.forceCold();
        // new id, but it was up before the cold start completed (e.g. the deployment's own instance)
        instances.instanceId = "instance-deploy";
        instances.startedAtMillis = now().minusSeconds(60).toEpochMilli();
        driver.probe();
        assertThat(driver.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.PRESTARTED_INSTANCE);
    }

    @Test
    void withoutMonitoringForceColdWaitsTheConservativeIdleLimitOnce() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        config.put("cold-wait-ms", "960000");
        driver(config, null).deploy(spec());
        driver.forceCold();
        assertThat(sleeps).containsExactly(Duration.ofMinutes(16));
    }

    @Test
    void monitoringThatGoesSilentCountsAsNoInstanceOnceItsLagHasPassed() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        ScriptedMetrics metrics = new ScriptedMetrics(this::now);
        metrics.silentWhenNone = true;
        driver(config, metrics).deploy(spec());
        metrics.instancesUntil = now().plus(Duration.ofMinutes(2));
        Instant start = now();
        driver.forceCold();
        // the last minute with an instance ended 2 to 3 minutes in; 4 minutes of Monitoring lag after that
        assertThat(Duration.between(start, now())).isBetween(Duration.ofMinutes(6), Duration.ofMinutes(8));
    }

    @Test
    void monitoringWithoutAnySampleWaitsTheConservativeTime() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        config.put("cold-wait-ms", "600000");
        ScriptedMetrics metrics = new ScriptedMetrics(this::now);
        metrics.empty = true;
        driver(config, metrics).deploy(spec());
        Instant start = now();
        driver.forceCold();
        assertThat(Duration.between(start, now())).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void monitoringThatNeverShowsZeroEndsTheWaitWithAClearError() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        config.put("cold-wait-ms", "300000");
        ScriptedMetrics metrics = new ScriptedMetrics(this::now);
        metrics.instancesUntil = Instant.MAX;
        driver(config, metrics).deploy(spec());
        assertThatThrownBy(() -> driver.forceCold())
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("still alive 5 min after");
    }

    @Test
    void signalsAndUsageComeFromMonitoringWhenAllowedAndFromInstanceIdsOtherwise() throws Exception {
        Map<String, String> config = base();
        config.put("invoker", "public");
        config.put("cpu-always-allocated", "true");
        ScriptedMetrics metrics = new ScriptedMetrics(this::now);
        metrics.instancesUntil = Instant.MAX;
        metrics.requests = 1234;
        driver(config, metrics).deploy(new DeploymentSpec("minilm", 2, 2048, null, 4, 10, Map.of()));
        Instant from = now();
        clock.forward(Duration.ofMinutes(10));

        PlatformSignals signals = driver.signals();
        assertThat(signals.source()).startsWith("Cloud Monitoring");
        assertThat(signals.instanceCounts()).isNotEmpty().allMatch(s -> s.total() == 1);

        PlatformUsage usage =
                driver.usage(from, from.plus(Duration.ofMinutes(10))).orElseThrow();
        Map<String, Double> amounts =
                usage.quantities().stream().collect(Collectors.toMap(q -> q.dimension(), q -> q.amount()));
        // one instance for 600 s × 2 vCPU, × 2 GiB
        assertThat(amounts).containsEntry("cloud-run:requests", 1234.0);
        assertThat(amounts).containsEntry("cloud-run:vcpu-seconds", 1200.0);
        assertThat(amounts).containsEntry("cloud-run:gib-seconds", 1200.0);

        // Cloud Run's own billable instance time, when Monitoring has it, replaces the counts
        metrics.billableSeconds = 95.5;
        PlatformUsage billed =
                driver.usage(from, from.plus(Duration.ofMinutes(10))).orElseThrow();
        assertThat(billed.quantities())
                .extracting(q -> q.dimension(), q -> q.amount())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("cloud-run:requests", 1234.0),
                        org.assertj.core.groups.Tuple.tuple("cloud-run:vcpu-seconds", 191.0),
                        org.assertj.core.groups.Tuple.tuple("cloud-run:gib-seconds", 191.0));
        assertThat(billed.quantities().get(1).basis())
                .startsWith("Cloud Monitoring run.googleapis.com/container/billable_instance_time × configured 2 vCPU")
                .contains("estimate");
        driver.teardown();

        // without monitoring: instance ids seen in responses, labelled so
        driver(config, null).deploy(spec());
        instances.instanceId = "instance-a";
        driver.probe();
        driver.observeResponses(now().plusSeconds(5), "instance-b", null, 40);
        PlatformSignals seen = driver.signals();
        assertThat(seen.source()).startsWith("instance ids seen in responses");
        assertThat(seen.instanceCounts()).extracting(InstanceCountSample::total).containsExactly(2);
    }

    /** Cloud Monitoring as a script: one instance per minute until {@link #instancesUntil}, none after. */
    static final class ScriptedMetrics implements PlatformMetrics {
        private final java.util.function.Supplier<Instant> now;
        volatile Instant instancesUntil = Instant.MIN;
        /** no sample at all for minutes without an instance (as Cloud Monitoring may do) */
        volatile boolean silentWhenNone;
        /** no sample ever */
        volatile boolean empty;

        volatile long requests = -1;
        volatile double billableSeconds = -1;
        final Map<String, Integer> calls = new HashMap<>();

        ScriptedMetrics(java.util.function.Supplier<Instant> now) {
            this.now = now;
        }

        @Override
        public List<InstanceCountSample> instanceCounts(String service, Instant from, Instant to) {
            calls.merge("instanceCounts", 1, Integer::sum);
            List<InstanceCountSample> out = new ArrayList<>();
            Instant end = to.isAfter(now.get()) ? now.get() : to;
            for (Instant at = from; !at.plus(Duration.ofMinutes(1)).isAfter(end); at = at.plus(Duration.ofMinutes(1))) {
                int count = at.isBefore(instancesUntil) ? 1 : 0;
                if (!empty && (count > 0 || !silentWhenNone)) {
                    out.add(new InstanceCountSample(at, 0, count));
                }
            }
            return out;
        }

        @Override
        public OptionalLong requestCount(String service, Instant from, Instant to) {
            return requests < 0 ? OptionalLong.empty() : OptionalLong.of(requests);
        }

        @Override
        public java.util.OptionalDouble billableInstanceSeconds(String service, Instant from, Instant to) {
            return billableSeconds < 0
                    ? java.util.OptionalDouble.empty()
                    : java.util.OptionalDouble.of(billableSeconds);
        }

        @Override
        public String source() {
            return "Cloud Monitoring (scripted)";
        }

        @Override
        public void close() {}
    }
}
