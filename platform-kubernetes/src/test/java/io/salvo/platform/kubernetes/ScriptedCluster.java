package io.salvo.platform.kubernetes;

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
    private int events;

    ScriptedCluster(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
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
        event("Node", name, "Normal", "RegisteredNode", "Node " + name + " event: Registered Node", at);
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
        event("Node", name, "Normal", "NodeReady", "Node " + name + " status is now: NodeReady", at);
    }

    /** An event with a microsecond {@code eventTime}, as events.k8s.io writers set it. */
    void event(String kind, String name, String type, String reason, String message, Instant at) {
        client.v1()
                .events()
                .inNamespace(namespace)
                .resource(new EventBuilder()
                        .withNewMetadata()
                        .withName(name + "." + (events++))
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withKind(kind)
                        .withName(name)
                        .withNamespace(namespace)
                        .endInvolvedObject()
                        .withType(type)
                        .withReason(reason)
                        .withMessage(message)
                        .withEventTime(new MicroTime(at.toString()))
                        .build())
                .create();
    }

    Pod pod(String name) {
        return client.pods().inNamespace(namespace).withName(name).get();
    }
}
