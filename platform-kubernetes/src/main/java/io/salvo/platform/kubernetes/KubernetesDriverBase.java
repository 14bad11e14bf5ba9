package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.FirstResponse;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformEvent;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformTimeline;
import io.salvo.platform.PlatformUsage;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * What the kubernetes and knative drivers share: the client, the run's labels, the cluster observer polling pods,
 * events and nodes, the phase breakdown, node-hours, and teardown by label.
 */
public abstract class KubernetesDriverBase implements PlatformDriver {

    private static final Logger LOG = Logger.getLogger(KubernetesDriverBase.class.getName());

    /** On everything a driver creates; teardown deletes by it and nothing else. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    public static final String RUN_LABEL = "salvo.io/run";
    /** The model-server container's name. */
    public static final String CONTAINER = "model-server";

    protected final String platform;
    protected final CommonSettings common;
    protected final KubernetesClient client;
    protected final String namespace;
    protected final Clock clock;
    private final boolean ownsClient;

    private volatile ClusterObserver observer;
    private ScheduledExecutorService poller;
    protected volatile EndpointSource endpoint;
    private volatile boolean tornDown;

    protected KubernetesDriverBase(
            String platform, CommonSettings settings, KubernetesClient client, boolean ownsClient, Clock clock) {
        this.platform = platform;
        this.common = settings;
        this.client = client;
        this.ownsClient = ownsClient;
        this.namespace = settings.namespaceOr(client);
        this.clock = clock;
    }

    /** The labels on every object this run creates. */
    public Map<String, String> runLabels() {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED_BY, "salvo");
        labels.put(RUN_LABEL, common.runId());
        return labels;
    }

    public String namespace() {
        return namespace;
    }

    /** The labels that select the model's pods. */
    protected abstract Map<String, String> podLabels();

    /** Whether an event concerns this deployment beyond its pods (its Deployment, ReplicaSets, HPA, nodes). */
    protected abstract boolean relevant(ClusterEvent event);

    /** Deletes what this run created, by its labels. */
    protected abstract void deleteOwned();

    protected final PlatformException failure(String doing, KubernetesClientException e) {
        return KubernetesErrors.map(platform, doing, e);
    }

    /** Starts following the cluster; call once the pods' labels are known. */
    protected final synchronized void startObserving() {
        if (observer != null) {
            return;
        }
        observer = new ClusterObserver(client, namespace, podLabels(), CONTAINER, this::relevantOrNode, clock);
        observer.poll();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "salvo-" + platform + "-observer");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(10, common.poll().toMillis());
        var unused = poller.scheduleWithFixedDelay(observer::poll, period, period, TimeUnit.MILLISECONDS);
    }

    private boolean relevantOrNode(ClusterEvent event) {
        if (relevant(event)) {
            return true;
        }
        ClusterObserver o = observer;
        return o != null
                && event.kind().equals("Node")
                && o.allPods().stream().anyMatch(p -> event.name().equals(p.node()));
    }

    /** The observer, polled once more so callers see the cluster as it is now. */
    protected final ClusterObserver observed() {
        ClusterObserver o = observer;
        if (o == null) {
            throw new IllegalStateException(platform + ": not deployed");
        }
        o.poll();
        return o;
    }

    /** Quota and LimitRange checks against the cluster; empty when the driver may not read them. */
    protected final List<String> quotaViolations(double cpus, int memoryMb, int maxPods) {
        try {
            return ResourceChecks.check(
                    client.resourceQuotas().inNamespace(namespace).list().getItems(),
                    client.limitRanges().inNamespace(namespace).list().getItems(),
                    cpus,
                    memoryMb,
                    maxPods);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                LOG.warning(platform + ": cannot read ResourceQuotas/LimitRanges in " + namespace
                        + " (HTTP 403); requests not checked against them");
                return List.of();
            }
            throw e;
        }
    }

    protected static void checkLocal(List<String> violations, double cpus, int memoryMb, Integer min, Integer max) {
        if (!(cpus > 0)) {
            violations.add("CPUs per instance must be positive, got " + cpus);
        }
        if (memoryMb <= 0) {
            violations.add("memory per instance must be positive, got " + memoryMb + " MiB");
        }
        if (min != null && min < 0) {
            violations.add("min instances must not be negative, got " + min);
        }
        if (max != null && max < 1) {
            violations.add("max instances must be at least 1, got " + max);
        }
        if (min != null && max != null && min > max) {
            violations.add("min instances " + min + " exceed max instances " + max);
        }
    }

    protected final void throwIfInvalid(List<String> violations) throws PlatformLimitException {
        PlatformLimitException.check(platform, violations);
    }

    /** Waits, polling the cluster, until {@code done}; fails early on an unrecoverable container problem. */
    protected final void await(String what, Duration timeout, BooleanSupplier done)
            throws TimeoutException, InterruptedException, PlatformException {
        Instant deadline = clock.instant().plus(timeout);
        while (true) {
            ClusterObserver o = observed();
            String fatal = o.fatalProblem();
            if (fatal != null) {
                throw new PlatformException(platform + ": " + fatal);
            }
            String scheduling = schedulingFailure(o);
            if (done.getAsBoolean()) {
                return;
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new TimeoutException(platform + ": " + what + " did not happen within " + timeout.toSeconds()
                        + " s" + (scheduling == null ? "" : "; last scheduling problem: " + scheduling));
            }
            Thread.sleep(Math.max(10, Math.min(common.poll().toMillis(), 200)));
        }
    }

    /** The latest quota or creation failure of this deployment's controllers, or a FailedScheduling, or null. */
    private static String schedulingFailure(ClusterObserver o) {
        String last = null;
        for (ClusterEvent e : o.events()) {
            if ("FailedScheduling".equals(e.reason()) || "FailedCreate".equals(e.reason())) {
                last = e.kind() + "/" + e.name() + ": " + e.message();
            }
        }
        return last;
    }

    /** Waits until none of the model's pods remains (deleted, not only terminating). */
    protected final void awaitNoPods(Duration timeout) throws InterruptedException, PlatformException {
        try {
            await(
                    "scale to zero",
                    timeout,
                    () -> client.pods()
                            .inNamespace(namespace)
                            .withLabels(podLabels())
                            .list()
                            .getItems()
                            .isEmpty());
        } catch (TimeoutException e) {
            throw new PlatformException(e.getMessage() + "; pods left: " + podNames(), e);
        } catch (KubernetesClientException e) {
            throw failure("list the model's pods", e);
        }
        observed().markCold();
    }

    private List<String> podNames() {
        return client.pods().inNamespace(namespace).withLabels(podLabels()).list().getItems().stream()
                .map(p -> p.getMetadata().getName())
                .toList();
    }

    /** Names of the model's pods that are ready now. */
    protected final List<String> readyPodNames() {
        ClusterObserver o = observer;
        if (o == null) {
            return List.of();
        }
        return o.allPods().stream()
                .filter(p -> p.goneAt() == null && p.readyAt() != null)
                .map(PodTimeline::name)
                .toList();
    }

    @Override
    public URI endpoint() {
        EndpointSource e = endpoint;
        if (e == null) {
            throw new IllegalStateException(platform + ": not deployed");
        }
        return e.uri();
    }

    @Override
    public PlatformSignals signals() {
        ClusterObserver o = observer;
        if (o == null) {
            return PlatformSignals.none(label());
        }
        return new PlatformSignals(label(), o.instances(), o.counts(), null, null);
    }

    @Override
    public PlatformTimeline timeline(List<FirstResponse> firstResponses) {
        ClusterObserver o = observer;
        if (o == null) {
            return PlatformTimeline.EMPTY;
        }
        // what the observer saw at its last poll (at most poll-ms ago): the live view calls this after every interval
        // and must not wait on the API server
        Map<String, FirstResponse> byPod = new HashMap<>();
        for (FirstResponse r : firstResponses) {
            int slash = r.instanceId() == null ? -1 : r.instanceId().indexOf('/');
            if (slash > 0) {
                byPod.merge(r.instanceId().substring(0, slash), r, (a, b) -> a.at().isBefore(b.at()) ? a : b);
            }
        }
        List<ColdStartPhases> coldStarts = PhaseBreakdown.of(o.coldStartPods(), o.events(), o.nodes(), byPod);
        List<PlatformEvent> events = new ArrayList<>();
        for (ClusterEvent e : o.events()) {
            events.add(e.toPlatformEvent());
        }
        return new PlatformTimeline(coldStarts, events);
    }

    @Override
    public Optional<PlatformUsage> usage(Instant from, Instant to) {
        ClusterObserver o = observer;
        if (o == null) {
            return Optional.empty();
        }
        o.poll();
        return Optional.of(new PlatformUsage(
                from, to, null, NodeHours.of(o.allPods(), o.nodes(), o.nodesVisible(), common.nodeType(), from, to)));
    }

    @Override
    public synchronized void teardown() {
        if (tornDown) {
            return;
        }
        tornDown = true;
        if (poller != null) {
            poller.shutdownNow();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        try {
            if (common.keep()) {
                LOG.warning(platform + ": keep is set; left in place everything labelled " + RUN_LABEL + "="
                        + common.runId() + " in namespace " + namespace);
            } else {
                deleteOwned();
            }
        } catch (KubernetesClientException e) {
            LOG.warning(KubernetesErrors.describe(platform, "tear down run " + common.runId(), e)
                    + "; delete what is left with: kubectl delete all,hpa,ksvc -n " + namespace + " -l " + RUN_LABEL
                    + "=" + common.runId());
        } finally {
            if (ownsClient) {
                client.close();
            }
        }
    }
}
