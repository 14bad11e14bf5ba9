package io.salvo.plan;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Typed values out of one plan file's SnakeYAML nodes — mappings with their allowed keys, whole numbers, numbers,
 * durations with a unit — where every problem becomes a {@link PlanException} naming the file, the node's 1-based
 * line and the field path. The section readers ({@link TargetReader}, {@link PhasesReader},
 * {@link SteadyStateReader}) and {@link PlanParser} share one per file, so their messages read alike.
 *
 * <p>Field paths are given by the caller ({@code "phases[0].rate"}); a {@code prefix} is a path ending in a dot, or
 * empty at the top level.
 */
final class PlanNodes {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m|h)");

    private final String file;

    /** {@code file} is the name the messages give the plan. */
    PlanNodes(String file) {
        this.file = file;
    }

    /** The mapping's entries by key, in file order; any key not in {@code allowed}, or given twice, is refused. */
    Map<String, NodeTuple> mapping(Node node, String field, Set<String> allowed) throws PlanException {
        if (!(node instanceof MappingNode map)) {
            throw error(node, field.isEmpty() ? "(top level)" : field, "must be a mapping of keys to values");
        }
        Map<String, NodeTuple> keys = new LinkedHashMap<>();
        String prefix = field.isEmpty() ? "" : field + ".";
        for (NodeTuple tuple : map.getValue()) {
            String key = scalar(tuple.getKeyNode(), prefix + "(key)");
            if (!allowed.contains(key)) {
                throw error(
                        tuple.getKeyNode(),
                        prefix + key,
                        "unknown key (expected one of "
                                + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
            if (keys.put(key, tuple) != null) {
                throw error(tuple.getKeyNode(), prefix + key, "duplicate key");
            }
        }
        return keys;
    }

    /** The entry for {@code key}; a missing one is reported at {@code parent}'s line. */
    NodeTuple require(Map<String, NodeTuple> map, String key, String prefix, Node parent) throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            throw error(parent, prefix + key, "missing required key");
        }
        return tuple;
    }

    String scalar(Node node, String field) throws PlanException {
        if (!(node instanceof ScalarNode scalar)) {
            throw error(node, field, "must be a single value, not a list or mapping");
        }
        return scalar.getValue();
    }

    String optionalString(Map<String, NodeTuple> map, String key, String prefix, String fallback) throws PlanException {
        NodeTuple tuple = map.get(key);
        return tuple == null ? fallback : scalar(tuple.getValueNode(), prefix + key);
    }

    int optionalPositiveInt(Map<String, NodeTuple> map, String key, String prefix, int fallback, int max)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        return tuple == null ? fallback : (int) longValue(tuple.getValueNode(), prefix + key, 1, max);
    }

    long optionalDurationMillis(
            Map<String, NodeTuple> map, String key, String prefix, long fallback, long minMillis, long maxMillis)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            return fallback;
        }
        long millis = durationMicros(tuple.getValueNode(), prefix + key, minMillis * 1000) / 1000;
        if (millis > maxMillis) {
            throw error(tuple.getValueNode(), prefix + key, "must be at most " + maxMillis + " ms");
        }
        return millis;
    }

    long longValue(Node node, String field, long min, long max) throws PlanException {
        String text = scalar(node, field);
        long value;
        try {
            value = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw error(node, field, "must be a whole number, got '" + text + "'");
        }
        if (value < min || value > max) {
            throw error(node, field, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    /** A finite number. */
    double number(Node node, String field) throws PlanException {
        String text = scalar(node, field);
        try {
            double value = Double.parseDouble(text.strip());
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw error(node, field, "must be a number, got '" + text + "'");
        }
    }

    /** Parses "250ms", "10s", "2m", "1h", "500us"; a bare number is refused because its unit is a guess. */
    long durationMicros(Node node, String field, long minMicros) throws PlanException {
        String text = scalar(node, field).strip();
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw error(node, field, "must be a duration with a unit such as 500ms, 10s, 2m or 1h, got '" + text + "'");
        }
        double amount = Double.parseDouble(m.group(1));
        double micros = amount
                * switch (m.group(2)) {
                    case "us" -> 1;
                    case "ms" -> 1_000;
                    case "s" -> 1_000_000;
                    case "m" -> 60_000_000;
                    default -> 3_600_000_000.0;
                };
        if (micros < minMicros) {
            throw error(node, field, "must be at least " + formatMicros(minMicros) + ", got '" + text + "'");
        }
        if (micros > 7 * 24 * 3_600_000_000.0) {
            throw error(node, field, "must be at most 7 days, got '" + text + "'");
        }
        return (long) micros;
    }

    /** A problem with {@code node} (its line; none for a null node) in {@code field}. */
    PlanException error(Node node, String field, String problem) {
        int line = node == null ? 0 : node.getStartMark().getLine() + 1;
        return new PlanException(file, line, field, problem);
    }

    private static String formatMicros(long micros) {
        if (micros % 1_000_000 == 0) {
            return micros / 1_000_000 + "s";
        }
        if (micros % 1000 == 0) {
            return micros / 1000 + "ms";
        }
        return micros + "us";
    }
}
