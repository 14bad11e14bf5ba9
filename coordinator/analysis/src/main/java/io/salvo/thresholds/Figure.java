package io.salvo.thresholds;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A figure of the run report that a threshold can judge, by its canonical name ({@code latency.p99},
 * {@code error_rate.timeout}, {@code steady_state}). Every figure has one {@link Kind}, which fixes the unit its
 * limit is written in and the unit it is kept in (milliseconds, percent, per second, a plain number).
 *
 * <p>The catalogue is closed: docs/user-guide.md lists every name, and a plan naming anything else is refused.
 */
public record Figure(String name, Kind kind) {

    /** What a figure measures, which decides its unit. */
    public enum Kind {
        /** Kept in milliseconds; written with us, ms, s, m or h. */
        DURATION("ms"),
        /** Kept and written in percent. */
        RATIO("%"),
        /** Kept and written per second. */
        RATE("/s"),
        /** A plain number, written without a unit. */
        COUNT(""),
        /** steady_state: 1 = reached, 0 = not reached; written as reached or not_reached. */
        STATE(""),
        /**
         * Money in the built-in price table's currency (docs/cost.md); written with its code so a limit cannot be
         * read in another currency by mistake.
         */
        MONEY("USD");

        private final String unit;

        Kind(String unit) {
            this.unit = unit;
        }

        /** The unit a value of this kind is kept and shown in; empty for counts and states. */
        public String unit() {
            return unit;
        }
    }

    /** The histogram families of the report's totals, each with the statistics of {@link #STATISTICS}. */
    public static final List<String> LATENCY_FAMILIES = List.of(
            "latency",
            "latency_2xx",
            "service_time",
            "scheduler_lag",
            "connection_wait",
            "time_to_first_byte",
            "connect",
            "tls_handshake");

    public static final List<String> STATISTICS = List.of("min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max");
    public static final List<String> WARM_STATISTICS = List.of("p50", "p95", "p99");
    /** Error classes, as the report's errors object names them (connect = connect_error). */
    public static final List<String> ERROR_CLASSES = List.of("4xx", "5xx", "timeout", "connect");

    public static final String STEADY_STATE = "steady_state";
    public static final String TIME_TO_FIRST_SUCCESS = "time_to_first_success";
    public static final String TIME_TO_STEADY_STATE = "time_to_steady_state";
    public static final String ERRORS = "errors";
    public static final String ERROR_RATE = "error_rate";
    public static final String FIRST_COLD_START_LATENCY = "first_cold_start.first_response_latency";
    public static final String COST_TOTAL = "cost.total";
    public static final String COST_PER_MILLION = "cost.per_million_predictions";

    /** The counts of the report's totals, which a region's totals have too. */
    private static final List<String> TOTALS_COUNTS = List.of(
            "intended",
            "sent",
            "requests",
            "successes",
            "late_sends",
            "in_flight_cap_hits",
            "unsent",
            "connection_waits");

    private static final String REGION_PREFIX = "region[";

    private static final Map<String, Figure> CATALOGUE = catalogue();
    private static final Map<String, String> ALIASES = aliases();

    private static Map<String, Figure> catalogue() {
        Map<String, Figure> all = new LinkedHashMap<>();
        for (String family : LATENCY_FAMILIES) {
            for (String statistic : STATISTICS) {
                add(all, family + "." + statistic, Kind.DURATION);
            }
        }
        for (String statistic : WARM_STATISTICS) {
            add(all, "warm." + statistic, Kind.DURATION);
        }
        add(all, TIME_TO_FIRST_SUCCESS, Kind.DURATION);
        add(all, TIME_TO_STEADY_STATE, Kind.DURATION);
        add(all, ERRORS, Kind.COUNT);
        for (String c : ERROR_CLASSES) {
            add(all, ERRORS + "." + c, Kind.COUNT);
        }
        add(all, ERROR_RATE, Kind.RATIO);
        for (String c : ERROR_CLASSES) {
            add(all, ERROR_RATE + "." + c, Kind.RATIO);
        }
        for (String count : TOTALS_COUNTS) {
            add(all, count, Kind.COUNT);
        }
        add(all, "cold_starts", Kind.COUNT);
        add(all, FIRST_COLD_START_LATENCY, Kind.DURATION);
        add(all, "achieved_rate", Kind.RATE);
        add(all, "success_rate", Kind.RATE);
        add(all, STEADY_STATE, Kind.STATE);
        add(all, COST_TOTAL, Kind.MONEY);
        add(all, COST_PER_MILLION, Kind.MONEY);
        return Collections.unmodifiableMap(all);
    }

    private static void add(Map<String, Figure> all, String name, Kind kind) {
        all.put(name, new Figure(name, kind));
    }

    /** Short names: the whole-run latency statistics by themselves, and the name for time to first success. */
    private static Map<String, String> aliases() {
        Map<String, String> aliases = new LinkedHashMap<>();
        for (String statistic : STATISTICS) {
            aliases.put(statistic, "latency." + statistic);
        }
        aliases.put("time_to_first_response", TIME_TO_FIRST_SUCCESS);
        aliases.put("cold_start_latency", FIRST_COLD_START_LATENCY);
        aliases.put("cost", COST_TOTAL);
        aliases.put("cost.per_million", COST_PER_MILLION);
        return Collections.unmodifiableMap(aliases);
    }

    /**
     * The figure with this canonical name or alias; {@code region[NAME].FIGURE} is FIGURE over the region NAME's own
     * totals, for the figures a region's totals have ({@link #isRegional}). The region name keeps its case: regions
     * are labels, compared exactly.
     */
    public static Optional<Figure> named(String name) {
        if (name.regionMatches(true, 0, REGION_PREFIX, 0, REGION_PREFIX.length())) {
            int close = name.indexOf("].", REGION_PREFIX.length());
            if (close <= REGION_PREFIX.length()) {
                return Optional.empty();
            }
            String region = name.substring(REGION_PREFIX.length(), close);
            return named(name.substring(close + 2))
                    .filter(Figure::isRegional)
                    .map(inner -> new Figure(REGION_PREFIX + region + "]." + inner.name(), inner.kind()));
        }
        String key = name.toLowerCase(Locale.ROOT);
        return Optional.ofNullable(CATALOGUE.get(ALIASES.getOrDefault(key, key)));
    }

    /**
     * Whether a region's totals (the report's {@code regions[].totals}) have this figure: the histogram statistics,
     * the error counts and rates, the counts of the totals and the rates; not the detectors' figures or the cost.
     */
    public boolean isRegional() {
        if (region().isPresent()) {
            return false;
        }
        String family = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
        return LATENCY_FAMILIES.contains(family)
                || family.equals(ERRORS)
                || family.equals(ERROR_RATE)
                || TOTALS_COUNTS.contains(name)
                || kind == Kind.RATE;
    }

    /** The region of a {@code region[NAME].FIGURE} figure; empty for a whole-run figure. */
    public Optional<String> region() {
        if (!name.startsWith(REGION_PREFIX)) {
            return Optional.empty();
        }
        return Optional.of(name.substring(REGION_PREFIX.length(), name.indexOf("].")));
    }

    /** The figure a region figure reads from its region's totals ({@code region[a].latency.p99} -> latency.p99). */
    public Figure withinRegion() {
        return region().map(r -> new Figure(name.substring(name.indexOf("].") + 2), kind))
                .orElse(this);
    }

    /** Every figure, in the order docs/user-guide.md lists them. */
    public static List<Figure> all() {
        return new ArrayList<>(CATALOGUE.values());
    }

    /** The share-of-responses twin of an error count ({@code errors.5xx} -> {@code error_rate.5xx}), if this is one. */
    Optional<Figure> asErrorRate() {
        Optional<String> region = region();
        if (region.isPresent()) {
            return withinRegion()
                    .asErrorRate()
                    .flatMap(rate -> named(REGION_PREFIX + region.get() + "]." + rate.name()));
        }
        if (name.equals(ERRORS) || name.startsWith(ERRORS + ".")) {
            return named(ERROR_RATE + name.substring(ERRORS.length()));
        }
        return Optional.empty();
    }

    /** Whether the figure is a statistic of the whole run's latency (all outcomes), the one histogram live snapshots carry. */
    boolean isWholeRunLatency() {
        return name.startsWith("latency.");
    }

    /** A value of this figure for people: "312.4 ms", "0.25 %", "95.0 /s", "12", "reached". */
    public String format(double value) {
        return switch (kind) {
            case DURATION -> String.format(Locale.ROOT, "%s ms", number(value));
            case RATIO -> String.format(Locale.ROOT, "%s %%", number(value));
            case RATE -> String.format(Locale.ROOT, "%s /s", number(value));
            case COUNT -> number(value);
            case STATE -> value == 1 ? "reached" : "not_reached";
            // a short run costs fractions of a cent: four decimals would show most as 0
            case MONEY -> String.format(Locale.ROOT, "%s USD", number(value, 8));
        };
    }

    /** A number without trailing zeros: 300, 0.1, 99.9. */
    static String number(double value) {
        return number(value, 4);
    }

    private static String number(double value, int decimals) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        String text = String.format(Locale.ROOT, "%." + decimals + "f", value);
        return text.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
