package io.salvo.benchmark;

import io.salvo.benchmark.ExperimentRecord.ColdStartRow;
import io.salvo.benchmark.ExperimentRecord.Experiment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The benchmark's tables, in the shape of the serverless-inference comparison Salvo's demo follows: per model,
 * one row per platform with warm P50/P95/P99, time to first response and time to steady state; then the
 * model-size comparison. Built only from saved {@link ExperimentRecord}s, so {@code salvo demo} and
 * {@code salvo compare} print the same thing. Every cell holds a value or "not reached".
 */
public final class ComparisonTables {

    public static final String NOT_REACHED = "not reached";
    static final String FALLBACK_MARK = "*";

    private ComparisonTables() {}

    public static String render(List<ExperimentRecord> records) {
        StringBuilder out = new StringBuilder();
        Set<MachineInfo> machines = new LinkedHashSet<>();
        records.forEach(r -> machines.add(r.machine()));
        out.append("Machine: ");
        if (machines.size() == 1) {
            out.append(machines.iterator().next().describe()).append('\n');
        } else {
            out.append("records come from ").append(machines.size()).append(" machines:\n");
            machines.forEach(m -> out.append("  ").append(m.describe()).append('\n'));
        }
        if (records.stream().anyMatch(ExperimentRecord::emulation)) {
            out.append("Platforms: LOCAL EMULATIONS of the named services' scaling rules (concurrency per instance,"
                    + " minimum, scale-out and idle rules), with model-server child processes on this machine;"
                    + " not the cloud services themselves.\n");
        }
        Map<String, Map<String, ExperimentRecord[]>> byModel = new LinkedHashMap<>();
        for (ExperimentRecord r : records) {
            ExperimentRecord[] pair = byModel.computeIfAbsent(r.model().name(), m -> new LinkedHashMap<>())
                    .computeIfAbsent(r.profile(), p -> new ExperimentRecord[2]);
            pair[r.experiment() == Experiment.COLD_START ? 0 : 1] = r;
        }
        boolean anyFallback = false;
        boolean anyIncomplete = false;
        boolean costs = records.stream().anyMatch(r -> r.cost() != null);
        boolean allEmulated = records.stream().allMatch(ExperimentRecord::emulation);
        boolean coldChecks = records.stream().anyMatch(r -> r.coldCheck() != null);
        for (Map.Entry<String, Map<String, ExperimentRecord[]>> model : byModel.entrySet()) {
            ExperimentRecord any = model.getValue().values().stream()
                    .flatMap(p -> java.util.Arrays.stream(p))
                    .filter(Objects::nonNull)
                    .findFirst()
                    .orElseThrow();
            out.append('\n')
                    .append(String.format(
                            Locale.ROOT,
                            "Model %s (%s, %s), constant %s req/s%n",
                            model.getKey(),
                            parameters(any.model().parameters()),
                            megabytes(any.model().fileBytes()),
                            number(any.ratePerSecond())));
            List<String[]> rows = new ArrayList<>();
            List<String> header = new ArrayList<>(List.of(
                    allEmulated ? "platform (local emulation)" : "platform",
                    "warm P50",
                    "warm P95",
                    "warm P99",
                    "time to first response",
                    "time to steady state",
                    "cold starts",
                    "model load"));
            if (coldChecks) {
                header.add(COLD_CHECK);
            }
            if (costs) {
                header.add(COST_WARM);
                header.add(COST_COLD);
            }
            rows.add(header.toArray(String[]::new));
            for (Map.Entry<String, ExperimentRecord[]> profile :
                    model.getValue().entrySet()) {
                ExperimentRecord cold = profile.getValue()[0];
                ExperimentRecord warm = profile.getValue()[1];
                boolean fallback = warm != null
                        && warm.measured().warmP50Millis() != null
                        && warm.measured().warmBasis().startsWith("steady state not reached");
                anyFallback |= fallback;
                String mark = fallback ? FALLBACK_MARK : "";
                List<String> row = new ArrayList<>(List.of(
                        profile.getKey(),
                        warm == null ? NOT_REACHED : ms(warm.measured().warmP50Millis(), mark),
                        warm == null ? NOT_REACHED : ms(warm.measured().warmP95Millis(), mark),
                        warm == null ? NOT_REACHED : ms(warm.measured().warmP99Millis(), mark),
                        cold == null
                                ? NOT_REACHED
                                : seconds(
                                        cold.measured().timeToFirstSuccessMillis() == null
                                                ? null
                                                : cold.measured().timeToFirstSuccessMillis() / 1000.0),
                        cold == null ? NOT_REACHED : seconds(cold.measured().timeToSteadyStateSeconds()),
                        cold == null
                                ? NOT_REACHED
                                : Integer.toString(cold.measured().coldStarts().size()),
                        cold == null ? NOT_REACHED : modelLoad(cold.measured().coldStarts())));
                if (coldChecks) {
                    row.add(coldVerdict(cold));
                }
                if (costs) {
                    row.add(cost(warm));
                    row.add(cost(cold));
                    anyIncomplete |=
                            warm != null && warm.cost() != null && !warm.cost().complete();
                    anyIncomplete |=
                            cold != null && cold.cost() != null && !cold.cost().complete();
                }
                rows.add(row.toArray(String[]::new));
            }
            table(out, rows);
        }

        out.append("\nModel size comparison (time to first response per platform)\n");
        List<String> profiles = new ArrayList<>();
        records.forEach(r -> {
            if (!profiles.contains(r.profile())) {
                profiles.add(r.profile());
            }
        });
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("model", "parameters", "file size", "model load"));
        profiles.forEach(p -> header.add("TTFR " + p));
        header.add("warm P50 (best)");
        rows.add(header.toArray(String[]::new));
        for (Map.Entry<String, Map<String, ExperimentRecord[]>> model : byModel.entrySet()) {
            List<ExperimentRecord> cold = model.getValue().values().stream()
                    .map(p -> p[0])
                    .filter(Objects::nonNull)
                    .toList();
            List<ExperimentRecord> warm = model.getValue().values().stream()
                    .map(p -> p[1])
                    .filter(Objects::nonNull)
                    .toList();
            ExperimentRecord any = cold.isEmpty() ? warm.get(0) : cold.get(0);
            List<String> row = new ArrayList<>(List.of(
                    model.getKey(),
                    parameters(any.model().parameters()),
                    megabytes(any.model().fileBytes()),
                    modelLoad(cold.stream()
                            .flatMap(r -> r.measured().coldStarts().stream())
                            .toList())));
            for (String profile : profiles) {
                ExperimentRecord[] pair = model.getValue().get(profile);
                row.add(
                        pair == null || pair[0] == null
                                ? NOT_REACHED
                                : seconds(
                                        pair[0].measured().timeToFirstSuccessMillis() == null
                                                ? null
                                                : pair[0].measured().timeToFirstSuccessMillis() / 1000.0));
            }
            Double best = warm.stream()
                    .map(r -> r.measured().warmP50Millis())
                    .filter(Objects::nonNull)
                    .min(Double::compare)
                    .orElse(null);
            row.add(ms(best, ""));
            rows.add(row.toArray(String[]::new));
        }
        table(out, rows);

        breakdowns(out, records);

        out.append('\n');
        records.stream()
                .map(r -> r.measured().steadyStateRule())
                .distinct()
                .forEach(rule -> out.append("Steady state: first window of ")
                        .append(rule)
                        .append(".\n"));
        out.append("Warm P50/P95/P99: latency (completion - intended send) of 2xx responses over steady-state"
                + " intervals of the warm run, cold requests excluded; time to first response: first request sent"
                + " to the first 2xx after a forced cold start; model load: median Salvo-Model-Load-Ms of the cold"
                + " starts.\n");
        if (costs) {
            List<String> tables = records.stream()
                    .map(ExperimentRecord::cost)
                    .filter(Objects::nonNull)
                    .map(c -> c.priceTable() + " price table of " + c.pricesAsOf() + ", " + c.currency())
                    .distinct()
                    .toList();
            out.append("Cost per million predictions (ESTIMATE): sum of billed quantity x unit price over the run,"
                            + " / successful predictions x 10^6 (")
                    .append(COST_WARM)
                    .append(": the warm run; ")
                    .append(COST_COLD)
                    .append(": the run from zero instances, cold starts included). Prices: ")
                    .append(String.join("; ", tables))
                    .append("; on-demand list prices, free tiers and discounts excluded (docs/cost.md).");
            if (records.stream().anyMatch(r -> r.emulation() && r.cost() != null)) {
                out.append(" Local rows price an EMULATION of the named service's billing from this machine's runs.");
            }
            out.append('\n');
            if (anyIncomplete) {
                out.append(INCOMPLETE_MARK)
                        .append(" some billed quantities had no price in the table: the estimate is a lower bound"
                                + " (the record's cost.unpriced lists them).\n");
            }
        }
        if (coldChecks) {
            out.append(COLD_CHECK)
                    .append(": whether the run from zero instances met only fresh instances, by the platform driver's"
                            + " verdict on the responses' Salvo-Instance-Id (or, for drivers that give none, by the"
                            + " instance ids seen before the forced cold start); the record's cold_check says why.\n");
        }
        if (anyFallback) {
            out.append(FALLBACK_MARK)
                    .append(" the warm run never met the steady-state rule; these percentiles"
                            + " cover every interval of it without a cold start.\n");
        }
        return out.toString();
    }

    static final String COLD_CHECK = "cold verified";

    /** {@code yes}, {@code NO}, {@code unverified}, {@code not forced}, from the cold run's check. */
    static String coldVerdict(ExperimentRecord cold) {
        if (cold == null || cold.coldCheck() == null) {
            return NOT_REACHED;
        }
        String check = cold.coldCheck();
        if (check.startsWith("verified")) {
            return "yes";
        }
        if (check.startsWith("NOT COLD (unverified)")) {
            return "unverified";
        }
        if (check.startsWith("NOT COLD")) {
            return "NO";
        }
        if (check.startsWith("not forced")) {
            return "not forced";
        }
        return "?";
    }

    /**
     * The platform's breakdown of each cold run that has one (Kubernetes, Knative): the median and max of each phase
     * over its cold starts, and the file with every cold start and the platform's events.
     */
    private static void breakdowns(StringBuilder out, List<ExperimentRecord> records) {
        List<ExperimentRecord> with = records.stream()
                .filter(r -> r.platformBreakdown() != null
                        && (r.platformBreakdown().coldStarts() > 0
                                || r.platformBreakdown().warnings() > 0))
                .toList();
        if (with.isEmpty()) {
            return;
        }
        out.append("\nWhere the cold-start time went (the platform's breakdown of each run: median / max per phase)\n");
        for (ExperimentRecord r : with) {
            ExperimentRecord.PlatformBreakdown b = r.platformBreakdown();
            StringBuilder line = new StringBuilder("  ")
                    .append(r.model().name())
                    .append(", ")
                    .append(r.profile())
                    .append(' ')
                    .append(r.experiment().fileName())
                    .append(": ")
                    .append(b.coldStarts())
                    .append(" cold start(s)");
            for (int i = 0; i < b.phases().size(); i++) {
                io.salvo.report.PlatformSection.PhaseRow p = b.phases().get(i);
                line.append(i == 0 ? "; " : ", ")
                        .append(p.phase())
                        .append(' ')
                        .append(seconds(p.medianMs() / 1000.0))
                        .append(" / ")
                        .append(seconds(p.maxMs() / 1000.0));
            }
            if (b.warnings() > 0) {
                line.append("; ").append(b.warnings()).append(" platform warning(s)");
            }
            line.append(" (").append(b.file()).append(')');
            out.append(line).append('\n');
        }
    }

    static final String COST_WARM = "est. $/1M warm";
    static final String COST_COLD = "est. $/1M cold run";
    static final String INCOMPLETE_MARK = "+";

    /** The record's estimate per million predictions, e.g. {@code $0.0123}, {@code $1.57+} when incomplete. */
    public static String cost(ExperimentRecord record) {
        if (record == null || record.cost() == null || record.cost().perMillion() == null) {
            return NOT_REACHED;
        }
        return money(record.cost().perMillion()) + (record.cost().complete() ? "" : INCOMPLETE_MARK);
    }

    /** Three significant digits, never in exponent form. */
    public static String money(double value) {
        if (value == 0) {
            return "$0";
        }
        return "$"
                + new java.math.BigDecimal(value)
                        .round(new java.math.MathContext(3))
                        .stripTrailingZeros()
                        .toPlainString();
    }

    private static void table(StringBuilder out, List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < widths.length; i++) {
                String cell = rows.get(r)[i];
                line.append(i == 0 ? pad(cell, widths[i]) : padLeft(cell, widths[i]));
                line.append(i + 1 < widths.length ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0) {
                StringBuilder rule = new StringBuilder("  ");
                for (int i = 0; i < widths.length; i++) {
                    rule.append("-".repeat(widths[i])).append(i + 1 < widths.length ? "  " : "");
                }
                out.append(rule).append('\n');
            }
        }
    }

    private static String modelLoad(List<ColdStartRow> coldStarts) {
        List<Long> loads = coldStarts.stream()
                .map(ColdStartRow::modelLoadMillis)
                .filter(Objects::nonNull)
                .sorted()
                .toList();
        if (loads.isEmpty()) {
            return NOT_REACHED;
        }
        return loads.get(loads.size() / 2) + " ms";
    }

    static String ms(Double millis, String mark) {
        if (millis == null) {
            return NOT_REACHED;
        }
        return String.format(Locale.ROOT, millis < 10 ? "%.2f ms" : millis < 100 ? "%.1f ms" : "%.0f ms", millis)
                + mark;
    }

    static String seconds(Double seconds) {
        return seconds == null ? NOT_REACHED : String.format(Locale.ROOT, "%.2f s", seconds);
    }

    private static String parameters(long parameters) {
        return parameters < 0 ? "? parameters" : String.format(Locale.ROOT, "%.1f M parameters", parameters / 1e6);
    }

    private static String megabytes(long bytes) {
        if (bytes < 0) {
            return "? MB";
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    private static String padLeft(String s, int width) {
        return " ".repeat(width - s.length()) + s;
    }
}
