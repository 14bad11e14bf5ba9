package io.salvo.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.RunResult;
import io.salvo.report.RunReport.ThresholdRow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The figures added to the thresholds' catalogue after the first ones (the first cold start's first-response latency,
 * the request phases, per-region figures, the cost estimate), each judged on a real report: a limit at the report's
 * own value passes with {@code <=} and fails with {@code <}, and the observed value is the JSON report's figure.
 */
class ReportNewFiguresTest {

    /** The run report's own value of each new figure, and the run it is judged on. */
    static Stream<Arguments> figures() {
        Function<RunReport, Double> firstCold =
                r -> r.detectors().coldStarts().get(0).firstResponseLatencyMillis();
        return Stream.of(
                Arguments.of("first_cold_start.first_response_latency", "ms", "steady", firstCold),
                Arguments.of("cold_start_latency", "ms", "steady", firstCold),
                Arguments.of("connection_wait.p50", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().connectionWait().p50()),
                Arguments.of("connection_wait.p95", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().connectionWait().p95()),
                Arguments.of("connection_wait.p99", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().connectionWait().p99()),
                Arguments.of("connection_wait.max", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().connectionWait().max()),
                Arguments.of("connection_waits", "", "steady", (Function<RunReport, Double>)
                        r -> (double) r.totals().connectionWaits()),
                Arguments.of("time_to_first_byte.p50", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().timeToFirstByte().p50()),
                Arguments.of("time_to_first_byte.p99", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().timeToFirstByte().p99()),
                Arguments.of("connect.max", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().connect().max()),
                Arguments.of("tls_handshake.min", "ms", "steady", (Function<RunReport, Double>)
                        r -> r.totals().tlsHandshake().min()),
                Arguments.of("region[us-east1].p99", "ms", "regions", (Function<RunReport, Double>)
                        r -> region(r, "us-east1").latency().p99()),
                Arguments.of("region[europe-west1].latency.max", "ms", "regions", (Function<RunReport, Double>)
                        r -> region(r, "europe-west1").latency().max()),
                Arguments.of("region[europe-west1].requests", "", "regions", (Function<RunReport, Double>)
                        r -> (double) region(r, "europe-west1").requests()),
                Arguments.of("region[us-east1].achieved_rate", "/s", "regions", (Function<RunReport, Double>)
                        r -> region(r, "us-east1").achievedRate()),
                Arguments.of("region[us-east1].errors", "%", "regions", (Function<RunReport, Double>) r -> {
                    RunReport.Totals t = region(r, "us-east1");
                    return 100.0 * t.errors().total() / t.requests();
                }),
                Arguments.of("region[us-east1].errors", "", "regions", (Function<RunReport, Double>)
                        r -> (double) region(r, "us-east1").errors().total()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("figures")
    void aLimitAtTheReportsOwnValuePassesWithLessOrEqualAndFailsWithLess(
            String figure, String unit, String run, Function<RunReport, Double> valueInReport) {
        RunResult result = run.equals("regions") ? GoldenRuns.regions() : GoldenRuns.steady();
        double value = valueInReport.apply(RunReport.from(result));
        // the shortest decimal that is exactly this double: a limit at the value, not near it
        String limit = BigDecimal.valueOf(value).stripTrailingZeros().toPlainString() + unit;
        List<String> criteria = List.of(figure + " <= " + limit, figure + " < " + limit);

        RunReport report = RunReport.from(withCriteria(result, criteria));

        assertThat(report.thresholds())
                .extracting(ThresholdRow::criterion, ThresholdRow::passed)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(criteria.get(0), true),
                        org.assertj.core.groups.Tuple.tuple(criteria.get(1), false));
        assertThat(report.thresholds()).allSatisfy(t -> assertThat(t.observed()).isEqualTo(value));
    }

    @org.junit.jupiter.api.Test
    void aRegionTheReportDoesNotHaveAndAFirstColdStartThatNeverCameHaveNoValue() {
        RunReport report = RunReport.from(withCriteria(
                GoldenRuns.regions(),
                List.of("region[asia-east1].p99 < 1s", "first_cold_start.first_response_latency < 10s")));

        assertThat(report.detectors().coldStarts()).isEmpty();
        assertThat(report.thresholds()).allSatisfy(t -> {
            assertThat(t.observed()).isNull();
            assertThat(t.passed()).isFalse();
        });
        assertThat(console(report))
                .contains("region[asia-east1].latency.p99 = no value (the region completed nothing")
                .contains("first_cold_start.first_response_latency = no value (no cold start detected");
    }

    @org.junit.jupiter.api.Test
    void costCriteriaFailWithoutAnEstimateAndAreJudgedAgainWhenTheCliAddsOne() {
        RunReport measured = RunReport.from(withCriteria(
                GoldenRuns.steady(),
                List.of("cost < 0.02 USD", "cost.per_million_predictions <= 30 USD", "p99 < 2s", "cost > 1 USD")));

        assertThat(measured.cost()).isNull();
        assertThat(measured.thresholds())
                .extracting(ThresholdRow::observed, ThresholdRow::passed)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(null, false),
                        org.assertj.core.groups.Tuple.tuple(null, false),
                        org.assertj.core.groups.Tuple.tuple(
                                measured.totals().latency().p99(), true),
                        org.assertj.core.groups.Tuple.tuple(null, false));
        assertThat(console(measured))
                .contains("cost.total = no value (no cost estimate: the platform reported no billed usage");

        CostSection estimate = cost(0.0125, 25.0, "USD");
        RunReport priced = measured.withCost(estimate);

        assertThat(priced.cost()).isEqualTo(estimate);
        assertThat(priced.thresholds())
                .extracting(ThresholdRow::criterion, ThresholdRow::observed, ThresholdRow::passed, ThresholdRow::unit)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("cost < 0.02 USD", 0.0125, true, "USD"),
                        org.assertj.core.groups.Tuple.tuple(
                                "cost.per_million_predictions <= 30 USD", 25.0, true, "USD"),
                        org.assertj.core.groups.Tuple.tuple(
                                "p99 < 2s", measured.totals().latency().p99(), true, "ms"),
                        org.assertj.core.groups.Tuple.tuple("cost > 1 USD", 0.0125, false, "USD"));
        assertThat(console(priced)).contains("cost.total = 0.0125 USD");
        // the rest of the report is the measured one's
        assertThat(priced.withCost(null).withPlatform(null).totals()).isEqualTo(measured.totals());
        assertThat(priced.withCost(null).thresholds()).isEqualTo(measured.thresholds());

        // an estimate in another currency (a user's price table) is not compared with a limit in USD
        RunReport euros = measured.withCost(cost(0.0125, 25.0, "EUR"));
        assertThat(euros.thresholds().get(0).observed()).isNull();
        assertThat(euros.thresholds().get(0).passed()).isFalse();
    }

    static CostSection cost(double total, Double perMillion, String currency) {
        return new CostSection(
                total,
                currency,
                perMillion,
                500,
                "salvo 2xx responses",
                6.0,
                "built-in",
                "2026-12-06",
                false,
                List.of(),
                CostSection.LEAVES_OUT,
                List.of(new CostSection.Line(
                        "aws-lambda:requests", 500, "request", "test", "aws-lambda:requests", 0.000025, total)));
    }

    private static RunReport.Totals region(RunReport report, String name) {
        return report.regions().stream()
                .filter(r -> r.region().equals(name))
                .findFirst()
                .orElseThrow()
                .totals();
    }

    private static RunResult withCriteria(RunResult result, List<String> criteria) {
        var plan = result.getPlan().toBuilder().clearThresholds();
        criteria.forEach(c -> plan.addThresholds(GoldenRuns.criterion(c, false)));
        return result.toBuilder().setPlan(plan).build();
    }

    private static String console(RunReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ConsoleReport.print(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
