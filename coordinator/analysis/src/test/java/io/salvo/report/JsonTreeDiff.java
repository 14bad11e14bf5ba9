package io.salvo.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares two JSON documents as trees: key order and whitespace do not matter; a property renamed, added or
 * removed, a changed type (number to string, integer to fraction, value to null) or a changed value does, and
 * each difference is named by its JSON path ({@code $.detectors.warm_latency.p50_ms}).
 */
final class JsonTreeDiff {

    private static final int MAX_VALUE_CHARS = 80;

    private JsonTreeDiff() {}

    static List<String> differences(JsonNode golden, JsonNode actual) {
        List<String> differences = new ArrayList<>();
        compare("$", golden, actual, differences);
        return differences;
    }

    private static void compare(String path, JsonNode golden, JsonNode actual, List<String> out) {
        if (!kind(golden).equals(kind(actual))) {
            out.add(path + ": type changed, golden " + describe(golden) + ", actual " + describe(actual));
            return;
        }
        if (golden.isObject()) {
            for (Map.Entry<String, JsonNode> field : golden.properties()) {
                String child = path + key(field.getKey());
                if (!actual.has(field.getKey())) {
                    out.add(child + ": in the golden (" + describe(field.getValue())
                            + "), missing from today's output (renamed or removed?)");
                } else {
                    compare(child, field.getValue(), actual.get(field.getKey()), out);
                }
            }
            for (Map.Entry<String, JsonNode> field : actual.properties()) {
                if (!golden.has(field.getKey())) {
                    out.add(path + key(field.getKey()) + ": new in today's output (" + describe(field.getValue())
                            + "), not in the golden");
                }
            }
        } else if (golden.isArray()) {
            if (golden.size() != actual.size()) {
                out.add(path + ": golden has " + golden.size() + " elements, actual " + actual.size());
            }
            for (int i = 0; i < Math.min(golden.size(), actual.size()); i++) {
                compare(path + "[" + i + "]", golden.get(i), actual.get(i), out);
            }
        } else if (golden.isNumber()
                ? golden.decimalValue().compareTo(actual.decimalValue()) != 0
                : !golden.equals(actual)) {
            out.add(path + ": golden " + describe(golden) + ", actual " + describe(actual));
        }
    }

    /** Integers and fractions are different types here: a count written as 5.0 is a format change. */
    private static String kind(JsonNode node) {
        if (node.isNumber()) {
            return node.isIntegralNumber() ? "integer" : "fraction";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String key(String name) {
        return name.matches("[A-Za-z_][A-Za-z0-9_]*") ? "." + name : "[\"" + name + "\"]";
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        if (text.length() > MAX_VALUE_CHARS) {
            text = text.substring(0, MAX_VALUE_CHARS) + "...";
        }
        return node.isNull() ? "null" : kind(node) + " " + text;
    }
}
