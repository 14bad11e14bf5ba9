package io.salvo.plan;

import io.salvo.platform.DeploymentSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * A {@code deployment} mapping (model, cpus, memory in MiB, minInstances, maxInstances, concurrency, env) laid over a
 * base {@link DeploymentSpec}, and a driver's {@code config} mapping of settings; shared by the plan's
 * {@code platform} section and the matrix file, so both read and complain alike.
 */
final class DeploymentReader {

    static final Set<String> DEPLOYMENT_KEYS =
            Set.of("model", "cpus", "memory", "minInstances", "maxInstances", "concurrency", "env");

    private final PlanNodes nodes;

    DeploymentReader(PlanNodes nodes) {
        this.nodes = nodes;
    }

    /** {@code base} with what the mapping at {@code node} sets; {@code field} is its path for messages. */
    DeploymentSpec read(Node node, String field, DeploymentSpec base, boolean modelAllowed) throws PlanException {
        Set<String> allowed = modelAllowed
                ? DEPLOYMENT_KEYS
                : DEPLOYMENT_KEYS.stream().filter(k -> !k.equals("model")).collect(java.util.stream.Collectors.toSet());
        Map<String, NodeTuple> d = nodes.mapping(node, field, allowed);
        String p = field + ".";
        String model = nodes.optionalString(d, "model", p, base.model());
        double cpus = base.cpusPerInstance();
        NodeTuple cpusTuple = d.get("cpus");
        if (cpusTuple != null) {
            cpus = nodes.number(cpusTuple.getValueNode(), p + "cpus");
            if (cpus <= 0 || cpus > 1024) {
                throw nodes.error(
                        cpusTuple.getValueNode(), p + "cpus", "must be above 0 and at most 1024, got " + cpus);
            }
        }
        int memory = nodes.optionalPositiveInt(d, "memory", p, base.memoryMbPerInstance(), 1 << 20);
        Integer min = optionalInt(d, "minInstances", p, 0, base.minInstances());
        Integer max = optionalInt(d, "maxInstances", p, 1, base.maxInstances());
        Integer concurrency = optionalInt(d, "concurrency", p, 1, base.concurrencyPerInstance());
        if (min != null && max != null && min > max) {
            throw nodes.error(
                    d.containsKey("minInstances") ? d.get("minInstances").getValueNode() : node,
                    p + "minInstances",
                    "must not exceed maxInstances (" + max + "), got " + min);
        }
        Map<String, String> env = new LinkedHashMap<>(base.env());
        NodeTuple envTuple = d.get("env");
        if (envTuple != null) {
            env.putAll(strings(envTuple.getValueNode(), p + "env"));
        }
        return new DeploymentSpec(model, cpus, memory, min, max, concurrency, env);
    }

    private Integer optionalInt(Map<String, NodeTuple> map, String key, String prefix, int min, Integer fallback)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            return fallback;
        }
        return (int) nodes.longValue(tuple.getValueNode(), prefix + key, min, 100_000);
    }

    /** A mapping of names to single values, each kept as its text (numbers and booleans too). */
    Map<String, String> strings(Node node, String field) throws PlanException {
        if (!(node instanceof MappingNode map)) {
            throw nodes.error(node, field, "must be a mapping of names to values");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (NodeTuple tuple : map.getValue()) {
            String key = nodes.scalar(tuple.getKeyNode(), field + ".(key)");
            String value = nodes.scalar(tuple.getValueNode(), field + "." + key);
            if (values.put(key, value) != null) {
                throw nodes.error(tuple.getKeyNode(), field + "." + key, "duplicate key");
            }
        }
        return values;
    }
}
