package io.salvo.platform.kubernetes;

import io.salvo.platform.UsageQuantity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Node-hours of a window, the billed quantity of a Kubernetes cell: each node counts for the time within the window
 * during which at least one of the model's pods was bound to it (the union of its pods' lives, so two pods on one node
 * count once), under its instance type. A pure function of pod and node timelines.
 */
final class NodeHours {

    private NodeHours() {}

    /**
     * @param defaultType the plan's node type, for nodes without an instance-type label or when nodes are not visible
     *                    (then each pod counts as its own node: an upper bound, labelled so)
     */
    static List<UsageQuantity> of(
            List<PodTimeline> pods,
            Map<String, NodeTimeline> nodes,
            boolean nodesVisible,
            String defaultType,
            Instant from,
            Instant to) {
        Map<String, List<Instant[]>> byNode = new LinkedHashMap<>();
        for (PodTimeline p : pods) {
            Instant start = p.scheduledAt() != null ? p.scheduledAt() : p.createdAt();
            if (start == null || (p.node() == null && nodesVisible)) {
                continue; // never bound to a node: nothing billed for it
            }
            Instant end = p.goneAt() == null ? to : p.goneAt();
            Instant s = start.isBefore(from) ? from : start;
            Instant e = end.isAfter(to) ? to : end;
            if (e.isAfter(s)) {
                String key = nodesVisible ? p.node() : "pod/" + p.name();
                byNode.computeIfAbsent(key, k -> new ArrayList<>()).add(new Instant[] {s, e});
            }
        }
        Map<String, Duration> byType = new TreeMap<>();
        for (Map.Entry<String, List<Instant[]>> entry : byNode.entrySet()) {
            NodeTimeline node = nodes.get(entry.getKey());
            String type = node != null && node.instanceType() != null ? node.instanceType() : defaultType;
            byType.merge(type == null ? "unknown" : type, union(entry.getValue()), Duration::plus);
        }
        List<UsageQuantity> out = new ArrayList<>();
        byType.forEach((type, time) -> out.add(new UsageQuantity(
                "kubernetes:node-hours:" + type,
                time.toNanos() / 3_600e9,
                "node-h",
                nodesVisible
                        ? "nodes hosting the model's pods × time they hosted one (node label"
                                + " node.kubernetes.io/instance-type, else the plan's node type)"
                        : "one node per pod × pod lifetime (estimate: nodes not visible to the driver)")));
        return out;
    }

    private static Duration union(List<Instant[]> spans) {
        spans.sort(Comparator.comparing(a -> a[0]));
        Duration total = Duration.ZERO;
        Instant curStart = null;
        Instant curEnd = null;
        for (Instant[] s : spans) {
            if (curEnd == null || s[0].isAfter(curEnd)) {
                if (curEnd != null) {
                    total = total.plus(Duration.between(curStart, curEnd));
                }
                curStart = s[0];
                curEnd = s[1];
            } else if (s[1].isAfter(curEnd)) {
                curEnd = s[1];
            }
        }
        if (curEnd != null) {
            total = total.plus(Duration.between(curStart, curEnd));
        }
        return total;
    }
}
