package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.Map;

/**
 * Plays the control plane and the kubelets in fabric8's CRUD mock: creates pods, moves them through their
 * conditions, emits events and registers nodes, each with the timestamp the script gives (so the breakdown can be
 * checked exactly against it).
 */
final class ScriptedCluster {

    private final KubernetesClient client;
    private final String namespace;
    private final NodeEventSelector nodeEvents;
    private int events;

    /** A cluster whose node events nobody lists (the mock cannot select them; see {@link NodeEventSelector}). */
    ScriptedCluster(KubernetesClient client, String namespace) {
        this(client, namespace, null);
    }

    /** @param nodeEvents answers the node-event field selector the mock lacks; node events are recorded there too */
    ScriptedCluster(KubernetesClient client, String namespace, NodeEventSelector nodeEvents) {
        this.client = client;
        this.namespace = namespace;
        this.nodeEvents = nodeEvents;
    }

    /**
     * The controller creates a pending pod; returns its creation time as the API server stamped it (a client cannot
     * set it, in the mock as in a real cluster).
     */
    Instant podCreated(String name, Map<String, String> labels) {
        client.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withLabels(labels)
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName(KubernetesDriverBase.CONTAINER)
                        .withImage("model-server:test")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .withPhase("Pending")
                        .endStatus()
                        .build())
                .create();
        return Instant.parse(pod(name).getMetadata().getCreationTimestamp());
    }

    void scheduled(String pod, String node, Instant at) {
        Pod p = pod(pod);
        p.getSpec().setNodeName(node);
        p.getStatus()
                .getConditions()
                .add(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("PodScheduled")
                        .withStatus("True")
                        .withLastTransitionTime(at.toString())
                        .build());
        client.pods().inNamespace(namespace).resource(p).update();
        event("Pod", pod, "Normal", "Scheduled", "Successfully assigned " + namespace + "/" + pod + " to " + node, at);
    }

    void containerStarted(String pod, Instant at) {
        Pod p = pod(pod);
        p.getStatus().setPhase("Running");
        p.getStatus()
                .getContainerStatuses()
                .add(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                        .withName(KubernetesDriverBase.CONTAINER)
                        .withReady(false)
                        .withNewState()
                        .withNewRunning()
                        .withStartedAt(at.toString())
                        .endRunning()
                        .endState()
                        .build());
        client.pods().inNamespace(namespace).resource(p).update();
        event("Pod", pod, "Normal", "Started", "Started container " + KubernetesDriverBase.CONTAINER, at);
    }

    void ready(String pod, Instant at) {
        Pod p = pod(pod);
        p.getStatus().getContainerStatuses().get(0).setReady(true);
        p.getStatus()
                .getConditions()
                .add(new io.fabric8.kubernetes.api.model.PodConditionBuilder()
                        .withType("Ready")
                        .withStatus("True")
                        .withLastTransitionTime(at.toString())
                        .build());
        client.pods().inNamespace(namespace).resource(p).update();
    }

    void waiting(String pod, String reason, String message) {
        Pod p = pod(pod);
        p.getStatus()
                .getContainerStatuses()
                .add(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                        .withName(KubernetesDriverBase.CONTAINER)
                        .withNewState()
                        .withNewWaiting()
                        .withReason(reason)
                        .withMessage(message)
                        .endWaiting()
                        .endState()
                        .build());
        client.pods().inNamespace(namespace).resource(p).update();
    }

    void deleted(String pod) {
        client.pods().inNamespace(namespace).withName(pod).delete();
    }

    /** A node registers; returns its creation time as the API server stamped it. */
    Instant nodeCreated(String name, String instanceType) {
        client.nodes()
                .resource(new NodeBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .addToLabels("node.kubernetes.io/instance-type", instanceType)
                        .endMetadata()
                        .withNewStatus()
                        .endStatus()
                        .build())
                .create();
        Instant at =
                Instant.parse(client.nodes().withName(name).get().getMetadata().getCreationTimestamp());
        nodeEvent(name, "RegisteredNode", "Node " + name + " event: Registered Node", at);
        return at;
    }

    void nodeReady(String name, Instant at) {
        var node = client.nodes().withName(name).get();
        node.getStatus()
                .getConditions()
                .add(new io.fabric8.kubernetes.api.model.NodeConditionBuilder()
                        .withType("Ready")
                        .withStatus("True")
                        .withLastTransitionTime(at.toString())
                        .build());
        client.nodes().resource(node).update();
        nodeEvent(name, "NodeReady", "Node " + name + " status is now: NodeReady", at);
    }

    /**
     * A node's event, where the node controller and the kubelet record it: in namespace {@code default}, about a
     * cluster-scoped object (no namespace), not in the model's namespace.
     */
    void nodeEvent(String node, String reason, String message, Instant at) {
        event(ClusterObserver.NODE_EVENTS_NAMESPACE, "Node", node, null, "Normal", reason, message, at);
    }

    /** An event with a microsecond {@code eventTime}, as events.k8s.io writers set it. */
    void event(String kind, String name, String type, String reason, String message, Instant at) {
        event(namespace, kind, name, namespace, type, reason, message, at);
    }

    private void event(
            String eventNamespace,
            String kind,
            String name,
            String objectNamespace,
            String type,
            String reason,
            String message,
            Instant at) {
        Event event = client.v1()
                .events()
                .inNamespace(eventNamespace)
                .resource(new EventBuilder()
                        .withNewMetadata()
                        .withName(name + "." + (events++))
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withKind(kind)
                        .withName(name)
                        .withNamespace(objectNamespace)
                        .endInvolvedObject()
                        .withType(type)
                        .withReason(reason)
                        .withMessage(message)
                        .withEventTime(new MicroTime(at.toString()))
                        .build())
                .create();
        if ("Node".equals(kind) && nodeEvents != null) {
            nodeEvents.recorded(event);
        }
    }

    Pod pod(String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }
}
