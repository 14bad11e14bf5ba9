package io.salvo.platform.knative;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.DriverConfig;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.platform.kubernetes.ClusterEvent;
import io.salvo.platform.kubernetes.CommonSettings;
import io.salvo.platform.kubernetes.EndpointSource;
import io.salvo.platform.kubernetes.KubernetesDriverBase;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The model server as a Knative Service ({@code serving.knative.dev/v1}), created as a generic resource: no Knative
 * client library. Scaling is Knative's: the autoscaling annotations come from the deployment spec and the settings;
 * a cold start is forced by waiting for Knative's own scale to zero (it cannot be ordered), so it needs min scale 0.
 */
public final class KnativePlatformDriver extends KubernetesDriverBase {

    public static final String NAME = "knative";

    /** Knative Serving's Service: namespaced, plural {@code services} in group serving.knative.dev. */
    public static final ResourceDefinitionContext KSVC = new ResourceDefinitionContext.Builder()
            .withGroup("serving.knative.dev")
            .withVersion("v1")
            .withKind("Service")
            .withPlural("services")
            .withNamespaced(true)
            .build();

    /** Registered in META-INF/services. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "Knative Service (serving.knative.dev/v1); keys: image, namespace, context, master-url, port,"
                    + " target-concurrency, initial-scale, scale-to-zero-retention, endpoint-url, host-header,"
                    + " node-selector, tolerations, node-type, node-price, node-prices, ready-timeout-ms,"
                    + " cold-timeout-ms, poll-ms, run-id, keep";
        }

        @Override
        public PlatformDriver create(Map<String, String> config) {
            DriverConfig c = new DriverConfig(NAME, config);
            Settings settings = Settings.read(c);
            c.rejectUnknownKeys();
            return new KnativePlatformDriver(settings, settings.common().connect(), true, Clock.systemUTC());
        }
    }

    /**
     * The knative driver's own settings.
     *
     * @param targetConcurrency     {@code autoscaling.knative.dev/target}; null: the deployment's concurrency per
     *                              instance, else Knative's default
     * @param initialScale          {@code autoscaling.knative.dev/initial-scale}; null: Knative's default (1)
     * @param scaleToZeroRetention  {@code autoscaling.knative.dev/scale-to-zero-pod-retention-period}, e.g. {@code 0s}
     */
    public record Settings(
            CommonSettings common, Integer targetConcurrency, Integer initialScale, String scaleToZeroRetention) {

        static Settings read(DriverConfig c) {
            return new Settings(
                    CommonSettings.read(c),
                    c.integer("target-concurrency", null),
                    c.integer("initial-scale", null),
                    c.string("scale-to-zero-retention", null));
        }
    }

    private final Settings own;
    private final String name;
    private volatile DeploymentSpec deployed;

    public KnativePlatformDriver(Settings settings, KubernetesClient client, boolean ownsClient, Clock clock) {
        super(NAME, settings.common(), client, ownsClient, clock);
        this.own = settings;
        this.name = "salvo-model-" + settings.common().runId();
    }

    public String serviceName() {
        return name;
    }

    @Override
    public String label() {
        return "knative Service " + namespace + "/" + name;
    }

    @Override
    protected Map<String, String> podLabels() {
        return Map.of("serving.knative.dev/service", name);
    }

    @Override
    protected boolean relevant(ClusterEvent event) {
        return event.name().startsWith(name);
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
        if (violations.isEmpty()) {
            int max = spec.maxInstances() != null ? spec.maxInstances() : 1;
            violations.addAll(quotaViolations(spec.cpusPerInstance(), spec.memoryMbPerInstance(), max));
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
            client.genericKubernetesResources(KSVC)
                    .inNamespace(namespace)
                    .resource(service(spec))
                    .create();
        } catch (KubernetesClientException e) {
            PlatformException failure = failure("create the Knative Service " + name, e);
            teardown();
            throw failure;
        }
        if (own.common().endpointUrl() != null) {
            endpoint = EndpointSource.fixed(own.common().endpointUrl());
            return endpoint.uri();
        }
        // Knative reports the route URL as soon as its Route is reconciled, long before the revision is ready
        try {
            await(
                    "the Knative Service " + name + "'s route URL",
                    own.common().readyTimeout(),
                    () -> routeUrl() != null);
            endpoint = EndpointSource.fixed(routeUrl());
            return endpoint.uri();
        } catch (TimeoutException e) {
            teardown();
            throw new PlatformException(e.getMessage() + " (status.url stays empty: is Knative Serving's domain"
                    + " configured? Else give the ingress address as endpoint-url)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            teardown();
            throw new PlatformException(NAME + ": interrupted while waiting for the route URL of " + name);
        } catch (KubernetesClientException e) {
            PlatformException failure = failure("read the Knative Service " + name, e);
            teardown();
            throw failure;
        }
    }

    /** The autoscaling annotations on the revision template, as Knative reads them. */
    Map<String, String> annotations(DeploymentSpec spec) {
        Map<String, String> a = new LinkedHashMap<>();
        Integer target = own.targetConcurrency() != null ? own.targetConcurrency() : spec.concurrencyPerInstance();
        if (target != null) {
            a.put("autoscaling.knative.dev/target", Integer.toString(target));
        }
        a.put(
                "autoscaling.knative.dev/min-scale",
                Integer.toString(spec.minInstances() == null ? 0 : spec.minInstances()));
        if (spec.maxInstances() != null) {
            a.put("autoscaling.knative.dev/max-scale", Integer.toString(spec.maxInstances()));
        }
        if (own.initialScale() != null) {
            a.put("autoscaling.knative.dev/initial-scale", Integer.toString(own.initialScale()));
        }
        if (own.scaleToZeroRetention() != null) {
            a.put("autoscaling.knative.dev/scale-to-zero-pod-retention-period", own.scaleToZeroRetention());
        }
        return a;
    }

    GenericKubernetesResource service(DeploymentSpec spec) {
        Map<String, Object> resources =
                Map.of("cpu", cpuText(spec.cpusPerInstance()), "memory", spec.memoryMbPerInstance() + "Mi");
        List<Map<String, Object>> env = new ArrayList<>();
        env.add(Map.of("name", "SALVO_MODEL", "value", spec.model()));
        env.add(Map.of(
                "name", "SALVO_INSTANCE_NAME", "valueFrom", Map.of("fieldRef", Map.of("fieldPath", "metadata.name"))));
        spec.env().forEach((k, v) -> env.add(Map.of("name", k, "value", v)));
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", CONTAINER);
        container.put("image", own.common().image());
        // Knative sets PORT to this port; the model server listens on PORT and binds all interfaces under K_SERVICE
        container.put(
                "ports",
                List.of(Map.of("name", "http1", "containerPort", own.common().port())));
        container.put("env", env);
        container.put("resources", Map.of("requests", resources, "limits", resources));
        container.put(
                "readinessProbe",
                Map.of("httpGet", Map.of("path", "/v2/health/ready"), "periodSeconds", 1, "failureThreshold", 1));
        Map<String, Object> podSpec = new LinkedHashMap<>();
        if (spec.concurrencyPerInstance() != null) {
            podSpec.put("containerConcurrency", spec.concurrencyPerInstance());
        }
        podSpec.put("containers", List.of(container));
        if (!own.common().nodeSelector().isEmpty()) {
            podSpec.put("nodeSelector", own.common().nodeSelector());
        }
        if (!own.common().tolerations().isEmpty()) {
            List<Map<String, Object>> tolerations = new ArrayList<>();
            own.common().tolerations().forEach(t -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key", t.getKey());
                m.put("operator", t.getOperator());
                if (t.getValue() != null) {
                    m.put("value", t.getValue());
                }
                m.put("effect", t.getEffect());
                tolerations.add(m);
            });
            podSpec.put("tolerations", tolerations);
        }
        Map<String, Object> templateMetadata = new LinkedHashMap<>();
        templateMetadata.put("labels", runLabels());
        templateMetadata.put("annotations", annotations(spec));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("serving.knative.dev/v1")
                .withKind("Service")
                .withNewMetadata()
                .withName(name)
                .withLabels(runLabels())
                .endMetadata()
                .addToAdditionalProperties(
                        "spec", Map.of("template", Map.of("metadata", templateMetadata, "spec", podSpec)))
                .build();
    }

    static String cpuText(double cpus) {
        long millis = Math.round(cpus * 1000);
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }

    /** The Service's {@code status.url} once its Ready condition is True, else null. */
    URI readyUrl() {
        return url(true);
    }

    /** The Service's {@code status.url} once Knative has set it (ready or not), else null. */
    URI routeUrl() {
        return url(false);
    }

    private URI url(boolean ready) {
        GenericKubernetesResource ksvc = client.genericKubernetesResources(KSVC)
                .inNamespace(namespace)
                .withName(name)
                .get();
        if (ksvc == null || !(ksvc.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
            return null;
        }
        boolean isReady = status.get("conditions") instanceof List<?> conditions
                && conditions.stream()
                        .anyMatch(c -> c instanceof Map<?, ?> m
                                && "Ready".equals(m.get("type"))
                                && "True".equals(m.get("status")));
        Object url = status.get("url");
        return (isReady || !ready) && url instanceof String s && !s.isBlank() ? URI.create(s) : null;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        try {
            await("the Knative Service " + name + " Ready", timeout, () -> readyUrl() != null);
        } catch (KubernetesClientException e) {
            throw failure("read the Knative Service " + name, e);
        }
        if (endpoint == null) {
            endpoint = EndpointSource.fixed(readyUrl());
        }
    }

    @Override
    public URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException(NAME + ": the route URL is known once the Service is ready (awaitReady)");
        }
        return super.endpoint();
    }

    /**
     * The {@code Host} Knative's ingress routes by, when load goes to an address the user gave: the
     * {@code host-header} setting, else the host of the Service's route URL.
     */
    @Override
    public RequestHeaders requestHeaders(RunRequests requests) {
        if (own.common().endpointUrl() == null) {
            return RequestHeaders.NONE;
        }
        if (own.common().hostHeader() != null) {
            return RequestHeaders.fixed(Map.of("Host", own.common().hostHeader()));
        }
        URI route = readyUrl();
        return route == null ? RequestHeaders.NONE : RequestHeaders.fixed(Map.of("Host", route.getHost()));
    }

    @Override
    public boolean canForceCold() {
        DeploymentSpec spec = deployed;
        return spec == null || spec.minInstances() == null || spec.minInstances() == 0;
    }

    /** Waits for Knative's scale to zero: no request must reach the Service meanwhile. */
    @Override
    public void forceCold() throws InterruptedException, PlatformException {
        if (!canForceCold()) {
            throw new UnsupportedOperationException(
                    NAME + ": min scale is above 0, so the Service never scales to zero");
        }
        awaitNoPods(own.common().coldTimeout());
    }

    @Override
    protected void deleteOwned() {
        client.genericKubernetesResources(KSVC)
                .inNamespace(namespace)
                .withLabels(runLabels())
                .delete();
    }
}
