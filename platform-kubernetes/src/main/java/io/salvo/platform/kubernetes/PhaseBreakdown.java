package io.salvo.platform.kubernetes;

import io.salvo.platform.ColdStartPhases;
import io.salvo.platform.ColdStartPhases.Phase;
import io.salvo.platform.FirstResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Where each pod's cold start went, from the pod, event and node timelines alone: a pure function, so a scripted
 * cluster checks it exactly.
 *
 * <p>A pod's boundaries, in order: created → (the cluster autoscaler's {@code TriggeredScaleUp} for it) → (its node
 * created) → (its node Ready) → scheduled → image pulled ({@code Pulled} event) → container started → ready → first
 * response. The node boundaries count only when the pod's node was created after the pod: a node provisioned for
 * it. A missing boundary is skipped and the next phase starts from the last one present, so an absent phase is
 * never reported as zero. A boundary earlier than the previous one (events carry whole seconds, conditions whole
 * seconds too, but in different places) is moved up to the previous one: a phase is never negative.
 *
 * <p>Assumptions: the image-pull phase includes the kubelet's sandbox set-up (the time from the bind to the
 * {@code Pulled} event); "model load + readiness" runs from the container's start to the Ready condition and so
 * includes the JVM's start, the model load ({@code Salvo-Model-Load-Ms}, reported beside it) and the readiness
 * probe's period.
 */
public final class PhaseBreakdown {

    public static final String SCALE_UP_TRIGGER = "scale-up trigger";
    public static final String NODE_PROVISIONING = "node provisioning";
    public static final String NODE_READY = "node ready";
    public static final String SCHEDULING = "scheduling";
    public static final String IMAGE_PULL = "image pull";
    public static final String CONTAINER_START = "container start";
    public static final String MODEL_LOAD_AND_READINESS = "model load + readiness";
    public static final String FIRST_RESPONSE = "first response";

    private PhaseBreakdown() {}

    /**
     * The breakdown of every pod's cold start.
     *
     * @param pods           the model's pods created since the cold start was forced, any order
     * @param events         the namespace's events (and the nodes'), any order
     * @param nodes          the cluster's nodes by name; empty when the driver may not read nodes
     * @param firstResponses first response per pod name, from the load generator
     * @return one breakdown per pod, by creation time
     */
    public static List<ColdStartPhases> of(
            List<PodTimeline> pods,
            List<ClusterEvent> events,
            Map<String, NodeTimeline> nodes,
            Map<String, FirstResponse> firstResponses) {
        List<ColdStartPhases> out = new ArrayList<>();
        pods.stream()
                .filter(p -> p.createdAt() != null)
                .sorted(Comparator.comparing(PodTimeline::createdAt).thenComparing(PodTimeline::name))
                .forEach(pod -> out.add(one(pod, events, nodes, firstResponses.get(pod.name()))));
        return out;
    }

    private static ColdStartPhases one(
            PodTimeline pod, List<ClusterEvent> events, Map<String, NodeTimeline> nodes, FirstResponse first) {
        Chain chain = new Chain(pod.createdAt());
        chain.to(SCALE_UP_TRIGGER, firstEvent(events, pod.name(), "TriggeredScaleUp", pod.createdAt()));
        NodeTimeline node = pod.node() == null ? null : nodes.get(pod.node());
        if (node != null && node.createdAt() != null && node.createdAt().isAfter(pod.createdAt())) {
            chain.to(NODE_PROVISIONING, node.createdAt());
            chain.to(NODE_READY, node.readyAt());
        }
        chain.to(SCHEDULING, pod.scheduledAt());
        chain.to(IMAGE_PULL, firstEvent(events, pod.name(), "Pulled", pod.createdAt()));
        chain.to(CONTAINER_START, pod.containerStartedAt());
        chain.to(MODEL_LOAD_AND_READINESS, pod.readyAt());
        if (pod.readyAt() != null && first != null) {
            chain.to(FIRST_RESPONSE, first.at());
        }
        return new ColdStartPhases(
                pod.name(),
                first == null ? null : first.instanceId(),
                pod.node(),
                chain.phases,
                first == null ? null : first.modelLoadMillis(),
                pod.readyAt() != null);
    }

    private static Instant firstEvent(List<ClusterEvent> events, String pod, String reason, Instant notBefore) {
        return events.stream()
                .filter(e -> e.about("Pod", pod) && reason.equals(e.reason()) && e.at() != null)
                .map(ClusterEvent::at)
                .filter(at -> !at.isBefore(notBefore.minusSeconds(1)))
                .min(Comparator.naturalOrder())
                .orElse(null);
    }

    /** Consecutive phases: each starts where the last present boundary was. */
    private static final class Chain {
        final List<Phase> phases = new ArrayList<>();
        Instant last;

        Chain(Instant start) {
            last = start;
        }

        void to(String name, Instant boundary) {
            if (boundary == null) {
                return;
            }
            Instant end = boundary.isBefore(last) ? last : boundary;
            phases.add(new Phase(name, last, end));
            last = end;
        }
    }
}
