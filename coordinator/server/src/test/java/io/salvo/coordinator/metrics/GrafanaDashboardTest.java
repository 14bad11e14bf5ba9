package io.salvo.coordinator.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.internal.json.Json;
import com.hazelcast.internal.json.JsonArray;
import com.hazelcast.internal.json.JsonObject;
import com.hazelcast.internal.json.JsonValue;
import io.salvo.coordinator.metrics.PrometheusText.Family;
import io.salvo.coordinator.metrics.PrometheusText.Sample;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana/salvo-run.json charts only what /metrics really exposes: every metric a panel's or variable's
 * PromQL names is a series name of a real scrape, every label it matches on is a label of that metric, and nothing
 * else in the query is an identifier PromQL would read as a metric.
 */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("../../deploy/grafana/salvo-run.json");

    /** PromQL functions, aggregations and keywords the dashboard may use. */
    private static final Set<String> PROMQL = Set.of(
            "sum",
            "max",
            "min",
            "avg",
            "count",
            "by",
            "without",
            "rate",
            "irate",
            "increase",
            "histogram_quantile",
            "label_values",
            "clamp_min",
            "and",
            "or",
            "unless",
            "bool",
            "on",
            "ignoring",
            "offset");

    private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
    private static final Pattern MATCHER =
            Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"[^\"]*\"\\s*");
    private static final Pattern LABEL_VALUES =
            Pattern.compile("label_values\\((.+),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @Test
    void everyQueryNamesOnlySeriesAndLabelsTheExpositionHas() throws Exception {
        Map<String, Set<String>> exposed = exposedSeriesAndLabels();
        // Hazelcast's bundled JSON reader: this module has no JSON library of its own.
        JsonObject dashboard =
                Json.parse(Files.readString(DASHBOARD, StandardCharsets.UTF_8)).asObject();

        List<String> queries = new ArrayList<>();
        List<JsonObject> panels = new ArrayList<>();
        collectPanels(array(dashboard, "panels"), panels);
        assertThat(panels).as("panels").hasSizeGreaterThanOrEqualTo(6);
        for (JsonObject panel : panels) {
            String title = panel.getString("title", "");
            assertThat(panel.get("datasource").asObject().getString("uid", ""))
                    .as("datasource of " + title)
                    .isEqualTo("${datasource}");
            assertThat(array(panel, "targets").size()).as("targets of " + title).isPositive();
            for (JsonValue target : array(panel, "targets")) {
                queries.add(target.asObject().getString("expr", ""));
            }
        }
        Map<String, JsonObject> variables = new HashMap<>();
        for (JsonValue v : array(dashboard.get("templating").asObject(), "list")) {
            JsonObject variable = v.asObject();
            variables.put(variable.getString("name", ""), variable);
            if (variable.getString("type", "").equals("query")) {
                queries.add(variable.getString("definition", ""));
            }
        }
        assertThat(variables.get("datasource").getString("query", "")).isEqualTo("prometheus");
        assertThat(variables.get("run").getString("definition", "")).startsWith("label_values(");

        Set<String> used = new HashSet<>();
        for (String written : queries) {
            assertThat(written).as("a query").isNotBlank();
            // Grafana's label_values(selector, label): the label must be one the selector's metric carries.
            String query = written;
            Matcher labelValues = LABEL_VALUES.matcher(written);
            if (labelValues.matches()) {
                query = labelValues.group(1);
                String metric = IDENTIFIER
                        .matcher(query)
                        .results()
                        .findFirst()
                        .orElseThrow()
                        .group();
                assertThat(exposed.get(metric))
                        .as("labels of %s in %s", metric, written)
                        .contains(labelValues.group(2));
            }
            for (String metric : metricsOf(query)) {
                assertThat(exposed).as("metric %s in %s", metric, query).containsKey(metric);
                used.add(metric);
            }
            Matcher selector = SELECTOR.matcher(query);
            while (selector.find()) {
                String metric = selector.group(1);
                for (String matcher : selector.group(2).split(",")) {
                    if (matcher.isBlank()) {
                        continue;
                    }
                    Matcher m = MATCHER.matcher(matcher);
                    assertThat(m.matches())
                            .as("label matcher '%s' in %s", matcher, query)
                            .isTrue();
                    assertThat(exposed.get(metric))
                            .as("labels of %s in %s", metric, query)
                            .contains(m.group(1));
                }
            }
        }
        // The panels the issue asks for: latency percentiles, rates, errors by class, workers, instances, cold starts.
        assertThat(used)
                .contains(
                        "salvo_request_latency_seconds_bucket",
                        "salvo_target_requests_per_second",
                        "salvo_achieved_requests_per_second",
                        "salvo_responses_total",
                        "salvo_workers_connected",
                        "salvo_workers_lost_total",
                        "salvo_responding_instances",
                        "salvo_cold_starts_total");
        assertThat(String.join("\n", queries))
                .contains("histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,");
    }

    /** The metric names a query reads: identifiers that are not functions, keywords, labels or literals. */
    private static List<String> metricsOf(String query) {
        String bare = query.replaceAll("\"[^\"]*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", "{}") // label matchers
                .replaceAll("\\[[^]]*]", "[]") // range durations
                .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", "$1()") // grouping labels
                .replaceAll("\\$\\{?[a-zA-Z_]+}?", "") // dashboard variables
                .replaceAll("\\b\\d+(\\.\\d+)?([eE][+-]?\\d+)?\\b", ""); // numbers
        List<String> metrics = new ArrayList<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String id = m.group();
            if (!PROMQL.contains(id)) {
                metrics.add(id);
            }
        }
        return metrics;
    }

    private static JsonArray array(JsonObject o, String name) {
        JsonValue v = o.get(name);
        return v == null ? new JsonArray() : v.asArray();
    }

    private static void collectPanels(JsonArray panels, List<JsonObject> into) {
        for (JsonValue v : panels) {
            JsonObject p = v.asObject();
            if (p.get("targets") != null) {
                into.add(p);
            }
            collectPanels(array(p, "panels"), into); // rows hold panels
        }
    }

    /** Series names of a real scrape of a run with data in every family, each with the labels it carries. */
    private static Map<String, Set<String>> exposedSeriesAndLabels() {
        PrometheusMetrics metrics = new PrometheusMetrics();
        Histogram h = HistogramSpec.newHistogram();
        h.recordValue(12_000);
        metrics.record(
                "run-g",
                LiveSnapshot.newBuilder()
                        .setState(RunState.RUN_STATE_RUNNING)
                        .setIntervalIndex(0)
                        .setIntervalMillis(1000)
                        .setSent(1)
                        .setLatencyMicros(HistogramCodec.encode(h))
                        .build());
        Map<String, Set<String>> exposed = new HashMap<>();
        for (Family f : PrometheusText.parse(new String(metrics.scrape(), StandardCharsets.UTF_8))
                .values()) {
            for (Sample s : f.samples()) {
                exposed.computeIfAbsent(s.name(), n -> new HashSet<>())
                        .addAll(s.labels().keySet());
            }
        }
        return exposed;
    }
}
