package io.salvo.coordinator.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written from the format's specification rather
 * than borrowed from the library that writes it, so that it can catch that library's mistakes too. It fails on:
 * a malformed line, metric or label name; a label value escape other than {@code \\ \" \n}; a HELP or TYPE twice
 * for one family; a TYPE after the family's samples; a family's samples not in one group; a sample whose name does
 * not belong to its family's type; a duplicate series; a value that is not a Go float; a histogram whose buckets are
 * not ascending in {@code le} and non-decreasing in count, lack {@code +Inf}, or whose {@code +Inf} count differs
 * from {@code _count}, or that lacks {@code _sum}; a negative counter or a missing final newline.
 */
final class PrometheusText {

    /** One sample: the name it was written with, its labels in order, its value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String name) {
            return labels.get(name);
        }
    }

    /** A metric family: its name (as on the TYPE line), type, help and samples. */
    record Family(String name, String type, String help, List<Sample> samples) {}

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern GO_FLOAT = Pattern.compile("[+-]?(Inf|NaN|(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?)");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    private PrometheusText() {}

    /** Parses and checks {@code text}; throws AssertionError naming the line at the first violation. */
    static Map<String, Family> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new AssertionError("the exposition must end with a line feed");
        }
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        Set<String> closedFamilies = new HashSet<>();
        Set<String> series = new HashSet<>();
        String currentFamily = null;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "': ";
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[0].equals("#") && parts[1].equals("HELP")) {
                    String family = name(parts[2], where);
                    if (helps.put(family, unescapeHelp(parts.length == 4 ? parts[3] : "", where)) != null) {
                        throw new AssertionError(where + "second HELP for " + family);
                    }
                    currentFamily = enter(family, currentFamily, closedFamilies, samples, where);
                } else if (parts.length == 4 && parts[0].equals("#") && parts[1].equals("TYPE")) {
                    String family = name(parts[2], where);
                    if (!TYPES.contains(parts[3])) {
                        throw new AssertionError(where + "unknown type " + parts[3]);
                    }
                    if (types.put(family, parts[3]) != null) {
                        throw new AssertionError(where + "second TYPE for " + family);
                    }
                    if (!samples.getOrDefault(family, List.of()).isEmpty()) {
                        throw new AssertionError(where + "TYPE after samples of " + family);
                    }
                    currentFamily = enter(family, currentFamily, closedFamilies, samples, where);
                } else if (parts.length >= 2 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    throw new AssertionError(where + "malformed " + parts[1] + " line");
                }
                continue; // a plain comment
            }
            Sample sample = sample(line, where);
            String family = familyOf(sample.name(), types);
            currentFamily = enter(family, currentFamily, closedFamilies, samples, where);
            String key = sample.name() + new TreeMap<>(sample.labels());
            if (!series.add(key)) {
                throw new AssertionError(where + "duplicate series " + key);
            }
            samples.get(family).add(sample);
        }
        Map<String, Family> families = new LinkedHashMap<>();
        for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
            String type = types.getOrDefault(e.getKey(), "untyped");
            Family family =
                    new Family(e.getKey(), type, helps.get(e.getKey()), Collections.unmodifiableList(e.getValue()));
            check(family);
            families.put(e.getKey(), family);
        }
        return families;
    }

    /** The family a line belongs to, switching families only to one not seen before. */
    private static String enter(
            String family, String current, Set<String> closed, Map<String, List<Sample>> samples, String where) {
        if (family.equals(current)) {
            return current;
        }
        if (closed.contains(family)) {
            throw new AssertionError(where + "lines of " + family + " are not in one group");
        }
        if (current != null) {
            closed.add(current);
        }
        samples.computeIfAbsent(family, f -> new ArrayList<>());
        return family;
    }

    private static String familyOf(String sampleName, Map<String, String> types) {
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            if (sampleName.endsWith(suffix)) {
                String base = sampleName.substring(0, sampleName.length() - suffix.length());
                String type = types.get(base);
                if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return sampleName;
    }

    private static void check(Family f) {
        for (Sample s : f.samples()) {
            boolean fitsType = switch (f.type()) {
                case "histogram" ->
                    s.name().equals(f.name() + "_bucket")
                            || s.name().equals(f.name() + "_sum")
                            || s.name().equals(f.name() + "_count");
                case "summary" ->
                    s.name().equals(f.name())
                            || s.name().equals(f.name() + "_sum")
                            || s.name().equals(f.name() + "_count");
                default -> s.name().equals(f.name());
            };
            if (!fitsType) {
                throw new AssertionError(s.name() + " does not belong to " + f.type() + " " + f.name());
            }
            if (s.labels().containsKey("le") != s.name().equals(f.name() + "_bucket")) {
                throw new AssertionError(s.name() + ": le belongs on histogram buckets, and only there: " + s);
            }
            if (f.type().equals("counter") && !(s.value() >= 0)) {
                throw new AssertionError("counter " + s.name() + " is " + s.value());
            }
        }
        if (f.type().equals("histogram")) {
            checkHistogram(f);
        }
    }

    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        Set<Map<String, String>> sums = new HashSet<>();
        for (Sample s : f.samples()) {
            Map<String, String> labels = new TreeMap<>(s.labels());
            labels.remove("le");
            if (s.name().endsWith("_bucket")) {
                buckets.computeIfAbsent(labels, l -> new ArrayList<>()).add(s);
            } else if (s.name().endsWith("_count")) {
                counts.put(labels, s.value());
            } else {
                sums.add(labels);
            }
        }
        for (Map.Entry<Map<String, String>, List<Sample>> e : buckets.entrySet()) {
            double previousLe = Double.NEGATIVE_INFINITY;
            double previousCount = 0;
            for (Sample b : e.getValue()) {
                double le = parseFloat(b.label("le"), "le of " + b);
                if (!(le > previousLe)) {
                    throw new AssertionError(f.name() + e.getKey() + ": le not ascending at " + b);
                }
                if (b.value() < previousCount) {
                    throw new AssertionError(f.name() + e.getKey() + ": bucket counts decrease at " + b);
                }
                previousLe = le;
                previousCount = b.value();
            }
            if (previousLe != Double.POSITIVE_INFINITY) {
                throw new AssertionError(f.name() + e.getKey() + ": no +Inf bucket");
            }
            Double count = counts.get(e.getKey());
            if (count == null || count != previousCount) {
                throw new AssertionError(
                        f.name() + e.getKey() + ": +Inf bucket " + previousCount + " != _count " + count);
            }
            if (!sums.contains(e.getKey())) {
                throw new AssertionError(f.name() + e.getKey() + ": no _sum");
            }
        }
        if (!buckets.keySet().equals(counts.keySet())) {
            throw new AssertionError(f.name() + ": _count without buckets or buckets without _count");
        }
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = name(line.substring(0, i), where);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (true) {
                if (i >= line.length()) {
                    throw new AssertionError(where + "unterminated labels");
                }
                if (line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                if (eq < 0) {
                    throw new AssertionError(where + "label without '='");
                }
                String label = line.substring(i, eq);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new AssertionError(where + "bad label name '" + label + "'");
                }
                if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                    throw new AssertionError(where + "label value not quoted");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (true) {
                    if (j >= line.length()) {
                        throw new AssertionError(where + "unterminated label value");
                    }
                    char c = line.charAt(j);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char next = j + 1 < line.length() ? line.charAt(j + 1) : ' ';
                        switch (next) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw new AssertionError(where + "bad escape \\" + next);
                        }
                        j += 2;
                    } else {
                        value.append(c);
                        j++;
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new AssertionError(where + "label " + label + " twice");
                }
                i = j + 1;
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                } else if (i >= line.length() || line.charAt(i) != '}') {
                    throw new AssertionError(where + "expected ',' or '}' after a label");
                }
            }
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new AssertionError(where + "expected one space before the value");
        }
        String[] rest = line.substring(i + 1).split(" ", -1);
        if (rest.length > 2 || (rest.length == 2 && !rest[1].matches("-?\\d+"))) {
            throw new AssertionError(where + "expected a value and an optional integer timestamp");
        }
        return new Sample(name, labels, parseFloat(rest[0], where));
    }

    private static String name(String name, String where) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new AssertionError(where + "bad metric name '" + name + "'");
        }
        return name;
    }

    private static double parseFloat(String s, String where) {
        if (!GO_FLOAT.matcher(s).matches()) {
            throw new AssertionError(where + "not a float: '" + s + "'");
        }
        String unsigned = s.replaceFirst("^[+-]", "");
        double sign = s.startsWith("-") ? -1 : 1;
        return switch (unsigned) {
            case "Inf" -> sign * Double.POSITIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    private static String unescapeHelp(String help, String where) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char next = i + 1 < help.length() ? help.charAt(i + 1) : ' ';
            switch (next) {
                case '\\' -> out.append('\\');
                case 'n' -> out.append('\n');
                default -> throw new AssertionError(where + "bad escape in HELP \\" + next);
            }
            i++;
        }
        return out.toString();
    }

    /**
     * PromQL's {@code histogram_quantile(q, ...)} over one series' classic buckets, as Prometheus computes it
     * (promql/quantile.go, bucketQuantile): find the first bucket whose cumulative count reaches q × total and
     * interpolate linearly inside it; the +Inf bucket answers the highest finite bound, the first bucket starts at 0.
     */
    static double histogramQuantile(double q, List<Sample> buckets) {
        List<double[]> b = new ArrayList<>();
        for (Sample s : buckets) {
            b.add(new double[] {parseFloat(s.label("le"), "le"), s.value()});
        }
        b.sort((x, y) -> Double.compare(x[0], y[0]));
        if (b.size() < 2 || b.get(b.size() - 1)[0] != Double.POSITIVE_INFINITY) {
            return Double.NaN;
        }
        double observations = b.get(b.size() - 1)[1];
        if (observations == 0) {
            return Double.NaN;
        }
        double rank = q * observations;
        int i = 0;
        while (i < b.size() - 1 && b.get(i)[1] < rank) {
            i++;
        }
        if (i == b.size() - 1) {
            return b.get(b.size() - 2)[0];
        }
        if (i == 0 && b.get(0)[0] <= 0) {
            return b.get(0)[0];
        }
        double start = 0;
        double end = b.get(i)[0];
        double count = b.get(i)[1];
        if (i > 0) {
            start = b.get(i - 1)[0];
            count -= b.get(i - 1)[1];
            rank -= b.get(i - 1)[1];
        }
        return start + (end - start) * (rank / count);
    }
}
