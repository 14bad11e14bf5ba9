package io.salvo.thresholds;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThresholdsTest {

    /** Observed: p99 250 ms, 3 errors, error rate 0.5 %, achieved 98 /s, steady state reached. */
    private static final Map<String, Double> FIGURES = Map.of(
            "latency.p99", 250.0,
            "errors", 3.0,
            "error_rate", 0.5,
            "achieved_rate", 98.0,
            "steady_state", 1.0);

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "p99 < 300ms             | true",
                "p99 < 250ms             | false",
                "p99 <= 250ms            | true",
                "p99 <= 249.9ms          | false",
                "p99 > 0.2s              | true",
                "p99 > 250ms             | false",
                "p99 >= 250ms            | true",
                "p99 >= 251ms            | false",
                "errors == 3             | true",
                "errors == 0             | false",
                "errors != 0             | true",
                "errors != 3             | false",
                "errors < 1%             | true",
                "errors < 0.1%           | false",
                "achieved_rate >= 95/s   | true",
                "achieved_rate >= 99/s   | false",
                "steady_state: reached   | true",
                "steady_state == not_reached | false",
                "steady_state != not_reached | true",
                "steady_state != reached | false",
            })
    void everyOperatorPassesAndFails(String text, boolean passes) throws Exception {
        Criterion c = CriterionSyntax.parse(text);

        List<ThresholdResult> results = Thresholds.evaluate(List.of(c), f -> FIGURES.get(f.name()));

        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.criterion()).isEqualTo(c);
            assertThat(r.passed()).isEqualTo(passes);
            assertThat(r.observed()).isEqualTo(FIGURES.get(c.figure().name()));
        });
    }

    @Test
    void aFigureWithoutAValueFailsWhateverTheOperator() throws Exception {
        List<Criterion> criteria = List.of(
                CriterionSyntax.parse("warm.p99 < 1h"),
                CriterionSyntax.parse("warm.p99 > 0ms"),
                CriterionSyntax.parse("time_to_first_response != 1s"));

        assertThat(Thresholds.evaluate(criteria, f -> null))
                .extracting(ThresholdResult::passed, ThresholdResult::observed)
                .containsOnly(org.assertj.core.groups.Tuple.tuple(false, null));
    }

    @Test
    void resultsKeepThePlansOrder() throws Exception {
        List<Criterion> criteria = List.of(
                CriterionSyntax.parse("errors == 3"),
                CriterionSyntax.parse("p99 < 1ms"),
                CriterionSyntax.parse("p99 < 1s"));

        assertThat(Thresholds.evaluate(criteria, f -> FIGURES.get(f.name())))
                .extracting(r -> r.criterion().text() + "=" + r.passed())
                .containsExactly("errors == 3=true", "p99 < 1ms=false", "p99 < 1s=true");
    }

    @Test
    void formatsValuesInTheFiguresUnit() {
        assertThat(Figure.named("p99").orElseThrow().format(312.4)).isEqualTo("312.4 ms");
        assertThat(Figure.named("error_rate").orElseThrow().format(0.25)).isEqualTo("0.25 %");
        assertThat(Figure.named("achieved_rate").orElseThrow().format(95)).isEqualTo("95 /s");
        assertThat(Figure.named("errors").orElseThrow().format(12)).isEqualTo("12");
        assertThat(Figure.named("steady_state").orElseThrow().format(0)).isEqualTo("not_reached");
        assertThat(Figure.named("cost").orElseThrow().format(0.000123)).isEqualTo("0.000123 USD");
        assertThat(Figure.named("region[us-east1].p99").orElseThrow().format(12.5))
                .isEqualTo("12.5 ms");
    }
}
