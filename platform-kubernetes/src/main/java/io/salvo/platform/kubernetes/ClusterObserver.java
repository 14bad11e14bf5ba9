package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.InstanceRecord;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Follows the model's pods, the namespace's events, the nodes the pods land on and those nodes' events (wherever the
 * cluster records them), by listing them every poll (a list
 * is what every API server and fabric8's mock answer alike; the timestamps come from the objects themselves, so the
 * poll period changes only how soon Salvo notices, not what it reports). All state is guarded by {@code this}.
 */
final class ClusterObserver {

    private static final Logger LOG = Logger.getLogger(ClusterObserver.class.getName());

    /** Where the node controller and the kubelet record node events. */
    static final String NODE_EVENTS_NAMESPACE = "default";

    private static final String ALL_NAMESPACES = "*";

    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, String> podLabels;
    private final Predicate<ClusterEvent> relevantEvent;
    private final String container;
    private final Clock clock;

    private final Map<String, PodTimeline> pods = new LinkedHashMap<>();
    /** Pods that existed before the last forced cold start: not cold starts of this run. */
    private final Set<String> before = new HashSet<>();

    private final Map<String, ClusterEvent> events = new LinkedHashMap<>();
    private final Map<String, NodeTimeline> nodes = new LinkedHashMap<>();
    private final List<InstanceCountSample> counts = new ArrayList<>();
    private final Map<String, String> fatal = new LinkedHashMap<>();
    private final Map<String, ClusterEvent> notes = new LinkedHashMap<>();
    /** Where node events are listed: all namespaces, then {@code default} after a 403, then nowhere (null). */
    private String nodeEventScope = ALL_NAMESPACES;

    private boolean nodesVisible = true;
    private boolean eventsVisible = true;
    private int runningNow;
    private int readyNow;

    ClusterObserver(
            KubernetesClient client,
            String namespace,
            Map<String, String> podLabels,
            String container,
            Predicate<ClusterEvent> relevantEvent,
            Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.podLabels = Map.copyOf(podLabels);
        this.container = container;
        this.relevantEvent = relevantEvent;
        this.clock = clock;
    }

    /** One look at the cluster; errors are logged and the next poll tries again. */
    void poll() {
        try {
            List<Pod> listed = client.pods()
                    .inNamespace(namespace)
                    .withLabels(podLabels)
                    .list()
                    .getItems();
            List<ClusterEvent> seenEvents = new ArrayList<>(eventsVisible() ? listEvents() : List.of());
            seenEvents.addAll(listNodeEvents());
            Map<String, NodeTimeline> seenNodes = nodesVisible() ? listNodes() : Map.of();
            record(listed, seenEvents, seenNodes);
        } catch (KubernetesClientException e) {
            LOG.log(Level.FINE, "cluster poll failed; trying again at the next poll", e);
        }
    }

    private List<ClusterEvent> listEvents() {
        List<ClusterEvent> out = new ArrayList<>();
        try {
            for (Event e : client.v1().events().inNamespace(namespace).list().getItems()) {
                ClusterEvent event = toClusterEvent(e);
                if (event != null) {
                    out.add(event);
                }
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                synchronized (this) {
                    eventsVisible = false;
                    note(
                            "EventsHidden",
                            "events in namespace " + namespace + " are not visible (HTTP 403): the breakdown lacks"
                                    + " image pulls, scheduling failures and scale-ups; the Role in"
                                    + " deploy/kubernetes/platform-driver/role.yaml grants 'list' on events");
                }
                LOG.warning("events are not visible (HTTP 403): the breakdown lacks image pulls and scale-ups");
                return List.of();
            }
            throw e;
        }
        return out;
    }

    /**
     * Node events (RegisteredNode, NodeReady, the autoscaler's ScaleDown...) are recorded outside the model's namespace,
     * in {@code default} by the node controller and the kubelet: listed cluster-wide when the driver may, else in
     * {@code default}, else not at all (with a note in the breakdown's events). Only {@code involvedObject.kind=Node},
     * selected by the API server.
     */
    private List<ClusterEvent> listNodeEvents() {
        String scope;
        synchronized (this) {
            scope = nodeEventScope;
        }
        while (scope != null) {
            try {
                List<Event> listed = ALL_NAMESPACES.equals(scope)
                        ? client.v1()
                                .events()
                                .inAnyNamespace()
                                .withField("involvedObject.kind", "Node")
                                .list()
                                .getItems()
                        : client.v1()
                                .events()
                                .inNamespace(scope)
                                .withField("involvedObject.kind", "Node")
                                .list()
                                .getItems();
                List<ClusterEvent> out = new ArrayList<>();
                for (Event e : listed) {
                    ClusterEvent event = toClusterEvent(e);
                    if (event != null && event.kind().equals("Node")) {
                        out.add(event);
                    }
                }
                return out;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw e;
                }
                scope = narrower(scope);
            }
        }
        return List.of();
    }

    /** After a 403 listing node events in {@code scope}: the next scope to try, or null (with a note) for none. */
    private synchronized String narrower(String scope) {
        String next =
                ALL_NAMESPACES.equals(scope) && !NODE_EVENTS_NAMESPACE.equals(namespace) ? NODE_EVENTS_NAMESPACE : null;
        nodeEventScope = next;
        if (next == null) {
            note(
                    "NodeEventsHidden",
                    "node events (RegisteredNode, NodeReady) are recorded outside namespace " + namespace
                            + " and the driver may not list events cluster-wide or in " + NODE_EVENTS_NAMESPACE
                            + " (HTTP 403): they are missing from the events; node phases still come from the nodes"
                            + " themselves when nodes are readable. The ClusterRole salvo-platform-driver-nodes in"
                            + " deploy/kubernetes/platform-driver/role.yaml grants both");
            LOG.warning("node events are not visible (HTTP 403 cluster-wide and in " + NODE_EVENTS_NAMESPACE + ")");
        } else {
            LOG.info("node events: cannot list events cluster-wide (HTTP 403); listing them in " + next);
        }
        return next;
    }

    /** A note of Salvo's own among the platform's events, once per reason: what the breakdown cannot see and why. */
    private void note(String reason, String message) {
        ClusterEvent note = new ClusterEvent(clock.instant(), "Warning", "Salvo", "observer", reason, message);
        notes.putIfAbsent(reason, note);
    }

    private Map<String, NodeTimeline> listNodes() {
        try {
            Map<String, NodeTimeline> out = new LinkedHashMap<>();
            for (Node n : client.nodes().list().getItems()) {
                out.put(n.getMetadata().getName(), toNodeTimeline(n));
            }
            return out;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 403) {
                synchronized (this) {
                    nodesVisible = false;
                    note(
                            "NodesHidden",
                            "nodes are not visible (HTTP 403; nodes are cluster-scoped): no node provisioning phases,"
                                    + " and node-hours count one node per pod with the plan's node type. The"
                                    + " ClusterRole salvo-platform-driver-nodes in deploy/kubernetes/platform-driver/"
                                    + "role.yaml grants it");
                }
                LOG.warning("nodes are not visible (HTTP 403; they need a ClusterRole): the breakdown shows no node"
                        + " provisioning and usage falls back to the configured node type");
                return Map.of();
            }
            throw e;
        }
    }

    private synchronized void record(List<Pod> listed, List<ClusterEvent> seenEvents, Map<String, NodeTimeline> seen) {
        Instant now = clock.instant();
        Set<String> present = new HashSet<>();
        int running = 0;
        int ready = 0;
        for (Pod pod : listed) {
            PodTimeline t = toPodTimeline(pod);
            present.add(t.name());
            PodTimeline known = pods.get(t.name());
            pods.put(t.name(), merge(known, t));
            if (t.goneAt() == null) {
                running++;
                if (t.readyAt() != null) {
                    ready++;
                }
            }
            checkContainers(pod);
        }
        for (Map.Entry<String, PodTimeline> e : pods.entrySet()) {
            PodTimeline t = e.getValue();
            if (!present.contains(e.getKey()) && t.goneAt() == null) {
                e.setValue(new PodTimeline(
                        t.name(), t.createdAt(), t.scheduledAt(), t.node(), t.containerStartedAt(), t.readyAt(), now));
            }
        }
        for (ClusterEvent event : seenEvents) {
            if (relevantEvent.test(event) || (event.kind().equals("Pod") && pods.containsKey(event.name()))) {
                events.put(event.kind() + "/" + event.name() + "/" + event.reason() + "/" + event.at(), event);
            }
        }
        nodes.putAll(seen);
        if (running != runningNow || ready != readyNow || counts.isEmpty()) {
            counts.add(new InstanceCountSample(now, running - ready, ready));
            runningNow = running;
            readyNow = ready;
        }
    }

    private static PodTimeline merge(PodTimeline known, PodTimeline now) {
        if (known == null) {
            return now;
        }
        return new PodTimeline(
                now.name(),
                first(known.createdAt(), now.createdAt()),
                first(known.scheduledAt(), now.scheduledAt()),
                now.node() != null ? now.node() : known.node(),
                first(known.containerStartedAt(), now.containerStartedAt()),
                first(known.readyAt(), now.readyAt()),
                first(known.goneAt(), now.goneAt()));
    }

    private static Instant first(Instant a, Instant b) {
        return a != null ? a : b;
    }

    private void checkContainers(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return;
        }
        for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
            if (cs.getState() != null && cs.getState().getWaiting() != null) {
                String problem = KubernetesErrors.fatalWaitingReason(
                        pod.getMetadata().getName(),
                        cs.getState().getWaiting().getReason(),
                        cs.getState().getWaiting().getMessage());
                if (problem != null) {
                    fatal.putIfAbsent(pod.getMetadata().getName(), problem);
                }
            }
        }
    }

    PodTimeline toPodTimeline(Pod pod) {
        Instant scheduled = null;
        Instant ready = null;
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            for (PodCondition c : pod.getStatus().getConditions()) {
                if ("True".equals(c.getStatus())) {
                    if ("PodScheduled".equals(c.getType())) {
                        scheduled = instant(c.getLastTransitionTime());
                    } else if ("Ready".equals(c.getType())) {
                        ready = instant(c.getLastTransitionTime());
                    }
                }
            }
        }
        Instant started = null;
        if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
                if ((container == null || container.equals(cs.getName()))
                        && cs.getState() != null
                        && cs.getState().getRunning() != null) {
                    started = instant(cs.getState().getRunning().getStartedAt());
                }
            }
        }
        return new PodTimeline(
                pod.getMetadata().getName(),
                instant(pod.getMetadata().getCreationTimestamp()),
                scheduled,
                pod.getSpec() == null ? null : pod.getSpec().getNodeName(),
                started,
                ready,
                instant(pod.getMetadata().getDeletionTimestamp()));
    }

    static ClusterEvent toClusterEvent(Event e) {
        Instant at = e.getEventTime() != null ? instant(e.getEventTime().getTime()) : null;
        if (at == null) {
            at = instant(e.getFirstTimestamp());
        }
        if (at == null) {
            at = instant(e.getLastTimestamp());
        }
        if (at == null) {
            at = instant(e.getMetadata() == null ? null : e.getMetadata().getCreationTimestamp());
        }
        if (at == null || e.getInvolvedObject() == null) {
            return null;
        }
        return new ClusterEvent(
                at,
                e.getType(),
                e.getInvolvedObject().getKind() == null
                        ? ""
                        : e.getInvolvedObject().getKind(),
                e.getInvolvedObject().getName() == null
                        ? ""
                        : e.getInvolvedObject().getName(),
                e.getReason(),
                e.getMessage());
    }

    static NodeTimeline toNodeTimeline(Node n) {
        Instant ready = null;
        if (n.getStatus() != null && n.getStatus().getConditions() != null) {
            for (NodeCondition c : n.getStatus().getConditions()) {
                if ("Ready".equals(c.getType()) && "True".equals(c.getStatus())) {
                    ready = instant(c.getLastTransitionTime());
                }
            }
        }
        Map<String, String> labels = n.getMetadata().getLabels();
        return new NodeTimeline(
                n.getMetadata().getName(),
                instant(n.getMetadata().getCreationTimestamp()),
                ready,
                labels == null ? null : labels.get("node.kubernetes.io/instance-type"));
    }

    static Instant instant(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** From now on, pods seen so far are not cold starts. */
    synchronized void markCold() {
        before.addAll(pods.keySet());
    }

    /** Pods created since the last forced cold start (or since deploy). */
    synchronized List<PodTimeline> coldStartPods() {
        return pods.values().stream().filter(p -> !before.contains(p.name())).toList();
    }

    synchronized List<PodTimeline> allPods() {
        return List.copyOf(pods.values());
    }

    /** The relevant events seen, and Salvo's notes on what it cannot see, in time order. */
    synchronized List<ClusterEvent> events() {
        return java.util.stream.Stream.concat(events.values().stream(), notes.values().stream())
                .sorted(java.util.Comparator.comparing(ClusterEvent::at))
                .toList();
    }

    synchronized Map<String, NodeTimeline> nodes() {
        return Map.copyOf(nodes);
    }

    private synchronized boolean eventsVisible() {
        return eventsVisible;
    }

    synchronized boolean nodesVisible() {
        return nodesVisible;
    }

    synchronized List<InstanceCountSample> counts() {
        return List.copyOf(counts);
    }

    synchronized int running() {
        return runningNow;
    }

    synchronized int ready() {
        return readyNow;
    }

    /** The first unrecoverable container problem seen (image pull error, crash loop), or null. */
    synchronized String fatalProblem() {
        return fatal.isEmpty() ? null : fatal.values().iterator().next();
    }

    synchronized List<InstanceRecord> instances() {
        List<InstanceRecord> out = new ArrayList<>();
        for (PodTimeline p : pods.values()) {
            out.add(new InstanceRecord(
                    p.name(),
                    null,
                    p.createdAt(),
                    p.readyAt(),
                    p.goneAt(),
                    null,
                    null,
                    null,
                    p.goneAt() == null ? null : "deleted"));
        }
        return out;
    }
}
