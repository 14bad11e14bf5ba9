package io.salvo.thresholds;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a criterion's text: {@code FIGURE OPERATOR VALUE[UNIT]}, e.g. {@code p99 < 300ms}, {@code errors < 0.1%},
 * {@code achieved_rate >= 95/s}, {@code errors.timeout == 0}, {@code steady_state == reached}, the shorthand
 * {@code steady_state: reached}, and a figure of one region's own totals, {@code region[us-east1].p99 < 250ms}.
 *
 * <p>The unit must fit the figure: a duration needs us, ms, s, m or h; a ratio %; a rate /s; money USD; a count none. An error
 * count written with % means its share of the responses ({@code errors < 0.1%} is {@code error_rate < 0.1%}).
 */
public final class CriterionSyntax {

    private static final Pattern HEAD = Pattern.compile("([A-Za-z_][A-Za-z0-9_.]*)\\s*(.*)", Pattern.DOTALL);
    /** region[NAME].FIGURE; NAME is anything up to the bracket, so the message about a bad one can quote it. */
    private static final Pattern REGION_HEAD =
            Pattern.compile("((?i:region)\\[([^\\]]*)\\](?:\\.([A-Za-z_][A-Za-z0-9_.]*))?)\\s*(.*)", Pattern.DOTALL);

    private static final String REGION_FIGURES = "per region: the latency, latency_2xx, service_time, scheduler_lag, "
            + "connection_wait, time_to_first_byte, connect and tls_handshake statistics, errors, error_rate, intended, "
            + "sent, requests, successes, late_sends, in_flight_cap_hits, unsent, connection_waits, achieved_rate, "
            + "success_rate";
    private static final Pattern NUMBER = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(.*)", Pattern.DOTALL);
    private static final String EXAMPLES =
            "e.g. p99, warm.p99, errors, error_rate, achieved_rate, time_to_first_response, time_to_steady_state, "
                    + "steady_state; docs/user-guide.md lists them all";

    private CriterionSyntax() {}

    /** The criterion {@code text} states, with abortOnFail off. */
    public static Criterion parse(String text) throws InvalidCriterionException {
        String trimmed = text == null ? "" : text.strip();
        if (trimmed.isEmpty()) {
            throw new InvalidCriterionException("is empty; write a criterion such as 'p99 < 300ms'");
        }
        String written;
        String rest;
        Figure figure;
        Matcher regional = REGION_HEAD.matcher(trimmed);
        if (regional.matches()) {
            written = regional.group(1);
            rest = regional.group(4).strip();
            figure = regionFigure(written, regional.group(2), regional.group(3));
        } else {
            Matcher head = HEAD.matcher(trimmed);
            if (!head.matches()) {
                throw new InvalidCriterionException(
                        "must start with a figure name (" + EXAMPLES + "), got '" + trimmed + "'");
            }
            String name = head.group(1);
            written = name;
            rest = head.group(2).strip();
            if (name.equalsIgnoreCase("region")
                    || name.regionMatches(true, 0, "region.", 0, "region.".length())
                    || rest.startsWith("[")) {
                throw new InvalidCriterionException("a region's figure is written region[NAME].FIGURE, e.g. "
                        + "region[us-east1].p99 < 250ms, got '" + trimmed + "'");
            }
            figure = Figure.named(name)
                    .orElseThrow(
                            () -> new InvalidCriterionException("unknown figure '" + name + "' (" + EXAMPLES + ")"));
        }

        if (figure.kind() == Figure.Kind.STATE && rest.startsWith(":")) {
            return new Criterion(
                    trimmed,
                    figure,
                    Operator.EQUAL,
                    state(figure, rest.substring(1).strip()),
                    false);
        }
        if (rest.isEmpty()) {
            throw new InvalidCriterionException("'" + written + "' needs an operator and a value, e.g. '" + written
                    + " < " + example(figure) + "'");
        }
        Operator operator = Operator.prefixOf(rest)
                .orElseThrow(() -> new InvalidCriterionException(
                        "expected an operator (<, <=, >, >=, ==, !=) after '" + written + "', got '" + rest + "'"));
        String value = rest.substring(operator.symbol().length()).strip();
        if (value.isEmpty()) {
            throw new InvalidCriterionException("missing value after '" + written + " " + operator.symbol() + "'");
        }
        if (figure.kind() == Figure.Kind.STATE) {
            if (operator != Operator.EQUAL && operator != Operator.NOT_EQUAL) {
                throw new InvalidCriterionException("'" + written
                        + "' is reached or not_reached: compare it with == or !=, not " + operator.symbol());
            }
            return new Criterion(trimmed, figure, operator, state(figure, value), false);
        }
        Matcher number = NUMBER.matcher(value);
        if (!number.matches()) {
            throw new InvalidCriterionException(
                    "expected a number after '" + written + " " + operator.symbol() + "', got '" + value + "'");
        }
        double amount = Double.parseDouble(number.group(1));
        String unit = number.group(2).strip();
        if (unit.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidCriterionException("unexpected text after the value: '" + unit + "'");
        }
        if (unit.equals("%")) {
            Optional<Figure> rate = figure.asErrorRate();
            if (rate.isPresent()) {
                figure = rate.get();
            }
        }
        return new Criterion(trimmed, figure, operator, limit(written, figure, amount, unit), false);
    }

    private static Figure regionFigure(String written, String region, String inner) throws InvalidCriterionException {
        if (region.isBlank()) {
            throw new InvalidCriterionException(
                    "'" + written + "' names no region: write region[NAME].FIGURE, e.g. region[us-east1].p99");
        }
        if (inner == null) {
            throw new InvalidCriterionException("'" + written + "' names no figure: write region[" + region
                    + "].FIGURE, e.g. region[" + region + "].p99");
        }
        Figure whole = Figure.named(inner)
                .orElseThrow(() -> new InvalidCriterionException(
                        "unknown figure '" + inner + "' in '" + written + "' (" + REGION_FIGURES + ")"));
        if (!whole.isRegional()) {
            throw new InvalidCriterionException(
                    "'" + inner + "' is not reported per region, only for the whole run (" + REGION_FIGURES + ")");
        }
        return Figure.named(written).orElseThrow(() -> new IllegalStateException("no region figure " + written));
    }

    private static double limit(String written, Figure figure, double amount, String unit)
            throws InvalidCriterionException {
        switch (figure.kind()) {
            case DURATION -> {
                Double millis = millis(amount, unit);
                if (millis == null) {
                    throw new InvalidCriterionException(
                            unit.isEmpty()
                                    ? "'" + written
                                            + "' is a duration: give the value a unit (us, ms, s, m or h), e.g. "
                                            + example(figure)
                                    : "unit '" + unit + "' does not fit '" + written
                                            + "', a duration: use us, ms, s, m or h, e.g. " + example(figure));
                }
                return millis;
            }
            case RATIO -> {
                if (!unit.equals("%")) {
                    throw new InvalidCriterionException((unit.isEmpty()
                                    ? "'" + written + "' is a ratio: give it in percent"
                                    : "unit '" + unit + "' does not fit '" + written + "', a ratio: use %")
                            + ", e.g. " + example(figure));
                }
                if (amount > 100) {
                    throw new InvalidCriterionException("a ratio cannot exceed 100%, got " + amount + "%");
                }
                return amount;
            }
            case RATE -> {
                if (!unit.equals("/s")) {
                    throw new InvalidCriterionException((unit.isEmpty()
                                    ? "'" + written + "' is a rate: give it per second"
                                    : "unit '" + unit + "' does not fit '" + written + "', a rate: use /s")
                            + ", e.g. " + example(figure));
                }
                return amount;
            }
            case COUNT -> {
                if (!unit.isEmpty()) {
                    boolean errors = figure.asErrorRate().isPresent();
                    throw new InvalidCriterionException("unit '" + unit + "' does not fit '" + written
                            + "', a count: give a bare number" + (errors ? ", or a percentage of the responses" : "")
                            + ", e.g. " + written + " < " + (errors ? "10 or " + written + " < 0.1%" : "10"));
                }
                return amount;
            }
            case MONEY -> {
                if (!unit.equalsIgnoreCase(Figure.Kind.MONEY.unit())) {
                    throw new InvalidCriterionException((unit.isEmpty()
                                    ? "'" + written + "' is money: give its currency"
                                    : "unit '" + unit + "' does not fit '" + written
                                            + "', money in the price table's currency: use USD")
                            + ", e.g. " + example(figure));
                }
                return amount;
            }
            default -> throw new IllegalStateException("no numeric limit for " + figure);
        }
    }

    private static Double millis(double amount, String unit) {
        return switch (unit) {
            case "us" -> amount / 1000;
            case "ms" -> amount;
            case "s" -> amount * 1000;
            case "m" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> null;
        };
    }

    private static double state(Figure figure, String value) throws InvalidCriterionException {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "reached" -> 1;
            case "not_reached" -> 0;
            default ->
                throw new InvalidCriterionException(
                        "'" + figure.name() + "' is reached or not_reached, got '" + value + "'");
        };
    }

    private static String example(Figure figure) {
        return switch (figure.kind()) {
            case DURATION -> "300ms";
            case RATIO -> "0.1%";
            case RATE -> "95/s";
            case COUNT -> "10";
            case STATE -> "reached";
            case MONEY -> "0.05 USD";
        };
    }
}
