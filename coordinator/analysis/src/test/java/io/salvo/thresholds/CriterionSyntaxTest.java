package io.salvo.thresholds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CriterionSyntaxTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "p99 < 300ms                   | latency.p99           | LESS             | 300",
                "p99<=0.3s                     | latency.p99           | LESS_OR_EQUAL    | 300",
                "latency_2xx.p99.9 > 250us     | latency_2xx.p99.9     | GREATER          | 0.25",
                "service_time.mean >= 2m       | service_time.mean     | GREATER_OR_EQUAL | 120000",
                "max == 1h                     | latency.max           | EQUAL            | 3600000",
                "warm.p95 != 12.5ms            | warm.p95              | NOT_EQUAL        | 12.5",
                "time_to_first_response < 10s  | time_to_first_success | LESS             | 10000",
                "time_to_steady_state < 60s    | time_to_steady_state  | LESS             | 60000",
                "errors < 0.1%                 | error_rate            | LESS             | 0.1",
                "errors.timeout <= 2.5%        | error_rate.timeout    | LESS_OR_EQUAL    | 2.5",
                "error_rate.5xx < 1%           | error_rate.5xx        | LESS             | 1",
                "errors == 0                   | errors                | EQUAL            | 0",
                "errors.connect < 10           | errors.connect        | LESS             | 10",
                "cold_starts <= 2              | cold_starts           | LESS_OR_EQUAL    | 2",
                "late_sends < 100              | late_sends            | LESS             | 100",
                "achieved_rate >= 95/s         | achieved_rate         | GREATER_OR_EQUAL | 95",
                "success_rate > 99.5 /s        | success_rate          | GREATER          | 99.5",
                "steady_state == reached       | steady_state          | EQUAL            | 1",
                "steady_state != not_reached   | steady_state          | NOT_EQUAL        | 0",
                "steady_state: reached         | steady_state          | EQUAL            | 1",
                "STEADY_STATE: NOT_REACHED     | steady_state          | EQUAL            | 0",
            })
    void readsFigureOperatorAndLimitInTheFiguresUnit(String text, String figure, Operator operator, double limit)
            throws Exception {
        Criterion c = CriterionSyntax.parse(text);

        assertThat(c.figure().name()).isEqualTo(figure);
        assertThat(c.operator()).isEqualTo(operator);
        assertThat(c.limit()).isCloseTo(limit, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.text()).isEqualTo(text.strip());
        assertThat(c.abortOnFail()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "\"\"                   | is empty",
                "p98 < 300ms          | unknown figure 'p98'",
                "99 < 300ms           | must start with a figure name",
                "p99                  | 'p99' needs an operator and a value, e.g. 'p99 < 300ms'",
                "p99 = 300ms          | expected an operator (<, <=, >, >=, ==, !=) after 'p99', got '= 300ms'",
                "p99 =< 300ms         | expected an operator (<, <=, >, >=, ==, !=) after 'p99', got '=< 300ms'",
                "p99 <                | missing value after 'p99 <'",
                "p99 < fast           | expected a number after 'p99 <', got 'fast'",
                "p99 < -3ms           | expected a number after 'p99 <', got '-3ms'",
                "p99 < 300            | 'p99' is a duration: give the value a unit (us, ms, s, m or h), e.g. 300ms",
                "p99 < 5%             | unit '%' does not fit 'p99', a duration: use us, ms, s, m or h",
                "p99 < 300 ms extra   | unexpected text after the value: 'ms extra'",
                "error_rate < 0.1     | 'error_rate' is a ratio: give it in percent, e.g. 0.1%",
                "error_rate < 3ms     | unit 'ms' does not fit 'error_rate', a ratio: use %",
                "errors < 101%        | a ratio cannot exceed 100%",
                "errors < 3s          | unit 's' does not fit 'errors', a count: give a bare number, or a percentage",
                "cold_starts < 2%     | unit '%' does not fit 'cold_starts', a count: give a bare number, e.g.",
                "achieved_rate > 95   | 'achieved_rate' is a rate: give it per second, e.g. 95/s",
                "achieved_rate > 95/m | unit '/m' does not fit 'achieved_rate', a rate: use /s",
                "steady_state < reached | compare it with == or !=, not <",
                "steady_state == yes  | 'steady_state' is reached or not_reached, got 'yes'",
                "steady_state: maybe  | 'steady_state' is reached or not_reached, got 'maybe'",
            })
    void refusesWhatItCannotReadWithAMessageSayingWhy(String text, String message) {
        assertThatThrownBy(() -> CriterionSyntax.parse(text))
                .isInstanceOf(InvalidCriterionException.class)
                .hasMessageContaining(message);
    }

    @Test
    void travelsThroughTheProtoUnchanged() throws Exception {
        Criterion c = CriterionSyntax.parse("errors.5xx < 0.5%").withAbortOnFail(true);

        assertThat(Criterion.fromProto(c.toProto())).isEqualTo(c);
    }

    @Test
    void aFigureThisVersionDoesNotKnowSurvivesTheProtoAndHasNoValue() {
        Criterion unknown = Criterion.fromProto(io.salvo.proto.v1.ThresholdCriterion.newBuilder()
                .setText("gpu.util < 90%")
                .setFigure("gpu.util")
                .setOperator(io.salvo.proto.v1.ThresholdOperator.THRESHOLD_OPERATOR_LESS)
                .setValue(90)
                .build());

        assertThat(Thresholds.evaluate(java.util.List.of(unknown), f -> null))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.passed()).isFalse();
                    assertThat(r.observed()).isNull();
                });
    }

    @Test
    void everyFigureOfTheCatalogueIsReadByItsOwnName() throws Exception {
        for (Figure f : Figure.all()) {
            String value = switch (f.kind()) {
                case DURATION -> "1s";
                case RATIO -> "1%";
                case RATE -> "1/s";
                case COUNT -> "1";
                case STATE -> "reached";
            };
            assertThat(CriterionSyntax.parse(f.name() + " == " + value).figure())
                    .isEqualTo(f);
        }
    }
}
