package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.LimitRangeItem;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pod's requests (= limits) against the namespace's ResourceQuotas and LimitRanges, before anything is created: the
 * quota's remaining room must hold {@code maxPods} pods, and each container must fit the LimitRange's min and max.
 */
final class ResourceChecks {

    private ResourceChecks() {}

    static List<String> check(
            List<ResourceQuota> quotas, List<LimitRange> limitRanges, double cpus, int memoryMb, int maxPods) {
        List<String> violations = new ArrayList<>();
        BigDecimal cpu = BigDecimal.valueOf(cpus);
        BigDecimal memory = BigDecimal.valueOf(memoryMb).multiply(BigDecimal.valueOf(1024L * 1024L));
        for (ResourceQuota quota : quotas) {
            if (quota.getStatus() == null && quota.getSpec() == null) {
                continue;
            }
            Map<String, Quantity> hard =
                    quota.getStatus() != null && quota.getStatus().getHard() != null
                            ? quota.getStatus().getHard()
                            : quota.getSpec().getHard();
            Map<String, Quantity> used =
                    quota.getStatus() == null || quota.getStatus().getUsed() == null
                            ? Map.of()
                            : quota.getStatus().getUsed();
            if (hard == null) {
                continue;
            }
            String name = quota.getMetadata().getName();
            for (String key : List.of("requests.cpu", "cpu", "limits.cpu")) {
                room(violations, name, key, hard, used, cpu, maxPods, cpus + " CPU");
            }
            for (String key : List.of("requests.memory", "memory", "limits.memory")) {
                room(violations, name, key, hard, used, memory, maxPods, memoryMb + " MiB");
            }
            room(violations, name, "pods", hard, used, BigDecimal.ONE, maxPods, "1 pod");
        }
        for (LimitRange range : limitRanges) {
            if (range.getSpec() == null || range.getSpec().getLimits() == null) {
                continue;
            }
            for (LimitRangeItem item : range.getSpec().getLimits()) {
                if (!"Container".equals(item.getType()) && !"Pod".equals(item.getType())) {
                    continue;
                }
                String where = "LimitRange " + range.getMetadata().getName() + " (" + item.getType() + ")";
                bound(violations, where, "cpu", item.getMax(), cpu, cpus + " CPU", true);
                bound(violations, where, "memory", item.getMax(), memory, memoryMb + " MiB", true);
                bound(violations, where, "cpu", item.getMin(), cpu, cpus + " CPU", false);
                bound(violations, where, "memory", item.getMin(), memory, memoryMb + " MiB", false);
            }
        }
        return violations;
    }

    private static void room(
            List<String> violations,
            String quota,
            String key,
            Map<String, Quantity> hard,
            Map<String, Quantity> used,
            BigDecimal perPod,
            int maxPods,
            String perPodText) {
        Quantity limit = hard.get(key);
        if (limit == null) {
            return;
        }
        BigDecimal remaining = Quantity.getAmountInBytes(limit)
                .subtract(used.containsKey(key) ? Quantity.getAmountInBytes(used.get(key)) : BigDecimal.ZERO);
        BigDecimal needed = perPod.multiply(BigDecimal.valueOf(maxPods));
        if (needed.compareTo(remaining) > 0) {
            long fit = remaining.signum() <= 0
                    ? 0
                    : remaining.divideToIntegralValue(perPod).longValue();
            violations.add("ResourceQuota " + quota + ": " + key + " has room for " + fit + " pod(s) of " + perPodText
                    + " (hard " + limit + (used.containsKey(key) ? ", used " + used.get(key) : "") + "), the"
                    + " deployment may scale to " + maxPods);
        }
    }

    private static void bound(
            List<String> violations,
            String where,
            String resource,
            Map<String, Quantity> bounds,
            BigDecimal value,
            String valueText,
            boolean isMax) {
        if (bounds == null || !bounds.containsKey(resource)) {
            return;
        }
        BigDecimal bound = Quantity.getAmountInBytes(bounds.get(resource));
        int cmp = value.compareTo(bound);
        if (isMax ? cmp > 0 : cmp < 0) {
            violations.add(where + ": " + resource + " " + valueText + " is "
                    + (isMax ? "above the max " : "below the min ") + bounds.get(resource));
        }
    }
}
