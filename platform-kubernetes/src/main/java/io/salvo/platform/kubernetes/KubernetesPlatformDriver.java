package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The model server as a Deployment behind a Service, with an optional HorizontalPodAutoscaler (v2). Cold starts are
 * forced by scaling to zero and waiting until no pod remains; load then starts with an explicit scale-up to
 * {@code replicas} ({@link #loadStarting}), from which the HPA, when there is one, takes over (an HPA does not act on
 * a Deployment scaled to zero, so it cannot undo the forced cold start).
 */
public final class KubernetesPlatformDriver extends KubernetesDriverBase {

    public static final String NAME = "kubernetes";
    /** The model's pods carry it, with the Deployment's name. */
    public static final String APP_LABEL = "salvo.io/model-deployment";

    /** Registered in META-INF/services. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "Kubernetes Deployment + Service (+ HPA v2); keys: image, namespace, context, master-url, port,"
                    + " replicas, hpa (none|cpu|rps), hpa-target, node-selector, tolerations, endpoint-url,"
                    + " host-header, node-type, node-price, node-prices, ready-timeout-ms, cold-timeout-ms, poll-ms,"
                    + " run-id, keep";
        }

        @Override
        public PlatformDriver create(Map<String, String> config) {
            DriverConfig c = new DriverConfig(NAME, config);
            Settings settings = Settings.read(c);
            c.rejectUnknownKeys();
            return new KubernetesPlatformDriver(settings, settings.common().connect(), true, Clock.systemUTC());
        }
    }

    /**
     * The kubernetes driver's own settings.
     *
     * @param replicas  pods the explicit scale-up at load start asks for; null: the deployment's min instances, at
     *                  least 1
     * @param hpa       none, cpu (utilisation of the CPU request) or rps (a Pods metric {@code hpaMetric}, which needs a
     *                  metrics adapter such as prometheus-adapter)
     * @param hpaTarget percent of the CPU request (cpu) or requests per second per pod (rps)
     */
    public record Settings(CommonSettings common, Integer replicas, String hpa, int hpaTarget, String hpaMetric) {

        static Settings read(DriverConfig c) {
            CommonSettings common = CommonSettings.read(c);
            String hpa = c.string("hpa", "none").toLowerCase(Locale.ROOT);
            if (!List.of("none", "cpu", "rps").contains(hpa)) {
                throw new IllegalArgumentException(NAME + ": setting 'hpa' is none, cpu or rps, got '" + hpa + "'");
            }
            return new Settings(
                    common,
                    c.integer("replicas", null),
                    hpa,
                    c.integer("hpa-target", hpa.equals("rps") ? 10 : 70),
                    c.string("hpa-metric", "http_requests_per_second"));
        }
    }

    private final Settings own;
    private final String name;
    private volatile DeploymentSpec deployed;

    public KubernetesPlatformDriver(Settings settings, KubernetesClient client, boolean ownsClient, Clock clock) {
        super(NAME, settings.common(), client, ownsClient, clock);
        this.own = settings;
        this.name = "salvo-model-" + settings.common().runId();
    }

    /** The Deployment's (and Service's, and HPA's) name. */
    public String deploymentName() {
        return name;
    }

    @Override
    public String label() {
        return "kubernetes Deployment " + namespace + "/" + name + (own.hpa().equals("none") ? "" : " + HPA");
    }

    @Override
    protected Map<String, String> podLabels() {
        return Map.of(APP_LABEL, name);
    }

    @Override
    protected boolean relevant(ClusterEvent event) {
        return event.name().startsWith(name);
    }

    private int maxPods(DeploymentSpec spec) {
        int max = spec.maxInstances() != null ? spec.maxInstances() : 1;
        return Math.max(max, scaleUpReplicas(spec));
    }

    private int scaleUpReplicas(DeploymentSpec spec) {
        if (own.replicas() != null) {
            return own.replicas();
        }
        return Math.max(1, spec.minInstances() == null ? 1 : spec.minInstances());
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        List<String> violations = new ArrayList<>();
        checkLocal(
                violations,
                spec.cpusPerInstance(),
                spec.memoryMbPerInstance(),
                spec.minInstances(),
                spec.maxInstances());
        if (own.replicas() != null && own.replicas() < 1) {
            violations.add("replicas (the scale-up at load start) must be at least 1, got " + own.replicas());
        }
        if (!own.hpa().equals("none") && spec.maxInstances() == null) {
            violations.add("an HPA needs max instances");
        }
        if (violations.isEmpty()) {
            violations.addAll(quotaViolations(spec.cpusPerInstance(), spec.memoryMbPerInstance(), maxPods(spec)));
        }
        throwIfInvalid(violations);
    }

    @Override
    public URI deploy(DeploymentSpec spec) throws PlatformLimitException, PlatformException {
        try {
            validate(spec);
        } catch (KubernetesClientException e) {
            throw failure("read the quotas of namespace " + namespace, e);
        }
        deployed = spec;
        startObserving();
        try {
            client.services().inNamespace(namespace).resource(service()).create();
            client.apps()
                    .deployments()
                    .inNamespace(namespace)
                    .resource(deployment(spec))
                    .create();
            if (!own.hpa().equals("none")) {
                client.autoscaling()
                        .v2()
                        .horizontalPodAutoscalers()
                        .inNamespace(namespace)
                        .resource(hpa(spec))
                        .create();
            }
        } catch (KubernetesClientException e) {
            PlatformException failure = failure("create the model's Deployment, Service or HPA " + name, e);
            teardown();
            throw failure;
        }
        endpoint = own.common().endpointUrl() != null
                ? EndpointSource.fixed(own.common().endpointUrl())
                : new PortForwardEndpoint(
                        client,
                        namespace,
                        own.common().port(),
                        this::readyPodNames,
                        own.common().readyTimeout());
        return endpoint.uri();
    }

    Service service() {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(runLabels())
                .endMetadata()
                .withNewSpec()
                .withSelector(podLabels())
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withTargetPort(new IntOrString("http"))
                .endPort()
                .endSpec()
                .build();
    }

    Deployment deployment(DeploymentSpec spec) {
        Map<String, String> podLabels = new LinkedHashMap<>(runLabels());
        podLabels.putAll(podLabels());
        Map<String, Quantity> resources = Map.of(
                "cpu", new Quantity(cpuText(spec.cpusPerInstance())),
                "memory", new Quantity(spec.memoryMbPerInstance() + "Mi"));
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("SALVO_MODEL", spec.model(), null));
        env.add(new EnvVar("PORT", Integer.toString(own.common().port()), null));
        env.add(new EnvVar("SALVO_BIND", "0.0.0.0", null));
        env.add(new EnvVarBuilder()
                .withName("SALVO_INSTANCE_NAME")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.name")
                .endFieldRef()
                .endValueFrom()
                .build());
        spec.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(runLabels())
                .endMetadata()
                .withNewSpec()
                .withReplicas(scaleUpReplicas(spec))
                .withNewSelector()
                .withMatchLabels(podLabels())
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(podLabels)
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(
                        own.common().nodeSelector().isEmpty()
                                ? null
                                : own.common().nodeSelector())
                .withTolerations(own.common().tolerations())
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(own.common().image())
                .addNewPort()
                .withName("http")
                .withContainerPort(own.common().port())
                .endPort()
                .withEnv(env)
                .withNewResources()
                .withRequests(resources)
                .withLimits(resources)
                .endResources()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/v2/health/ready")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(1)
                .withFailureThreshold(1)
                .endReadinessProbe()
                .withNewLivenessProbe()
                .withNewHttpGet()
                .withPath("/v2/health/live")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withInitialDelaySeconds(10)
                .withPeriodSeconds(10)
                .endLivenessProbe()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    HorizontalPodAutoscaler hpa(DeploymentSpec spec) {
        MetricSpec metric = own.hpa().equals("cpu")
                ? new MetricSpecBuilder()
                        .withType("Resource")
                        .withNewResource()
                        .withName("cpu")
                        .withNewTarget()
                        .withType("Utilization")
                        .withAverageUtilization(own.hpaTarget())
                        .endTarget()
                        .endResource()
                        .build()
                : new MetricSpecBuilder()
                        .withType("Pods")
                        .withNewPods()
                        .withNewMetric()
                        .withName(own.hpaMetric())
                        .endMetric()
                        .withNewTarget()
                        .withType("AverageValue")
                        .withAverageValue(new Quantity(Integer.toString(own.hpaTarget())))
                        .endTarget()
                        .endPods()
                        .build();
        return new HorizontalPodAutoscalerBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(runLabels())
                .endMetadata()
                .withNewSpec()
                .withNewScaleTargetRef()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withName(name)
                .endScaleTargetRef()
                .withMinReplicas(scaleUpReplicas(spec))
                .withMaxReplicas(maxPods(spec))
                .withMetrics(metric)
                .endSpec()
                .build();
    }

    static String cpuText(double cpus) {
        long millis = Math.round(cpus * 1000);
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        int want = deployed == null ? 1 : scaleUpReplicas(deployed);
        await(
                "readiness of " + want + " pod(s) of " + name,
                timeout,
                () -> observed().ready() >= want);
    }

    @Override
    public boolean canForceCold() {
        return true;
    }

    @Override
    public void forceCold() throws InterruptedException, PlatformException {
        scale(0);
        awaitNoPods(own.common().coldTimeout());
    }

    /** The explicit scale-up that starts the cold start the run measures. */
    @Override
    public void loadStarting() throws PlatformException {
        DeploymentSpec spec = deployed;
        if (spec == null) {
            throw new IllegalStateException(NAME + ": not deployed");
        }
        scale(scaleUpReplicas(spec));
    }

    /** Sets the Deployment's replicas (the test's and the plan's explicit scale-ups). */
    public void scale(int replicas) throws PlatformException {
        try {
            client.apps().deployments().inNamespace(namespace).withName(name).scale(replicas);
        } catch (KubernetesClientException e) {
            throw failure("scale the Deployment " + name + " to " + replicas, e);
        }
    }

    @Override
    protected void deleteOwned() {
        Map<String, String> labels = runLabels();
        client.autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(namespace)
                .withLabels(labels)
                .delete();
        client.apps().deployments().inNamespace(namespace).withLabels(labels).delete();
        client.services().inNamespace(namespace).withLabels(labels).delete();
    }
}
