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
                "cold_start_latency < 10s      | first_cold_start.first_response_latency | LESS | 10000",
                "first_cold_start.first_response_latency <= 2s | first_cold_start.first_response_latency "
                        + "| LESS_OR_EQUAL | 2000",
                "connection_wait.p95 < 5ms     | connection_wait.p95   | LESS             | 5",
                "connection_wait.max <= 1s     | connection_wait.max   | LESS_OR_EQUAL    | 1000",
                "connection_waits < 10         | connection_waits      | LESS             | 10",
                "time_to_first_byte.p99 < 250ms | time_to_first_byte.p99 | LESS           | 250",
                "tls_handshake.max < 50ms      | tls_handshake.max     | LESS             | 50",
                "region[us-east1].p99 < 250ms  | region[us-east1].latency.p99 | LESS      | 250",
                "Region[eu.west-1].errors < 1% | region[eu.west-1].error_rate | LESS      | 1",
                "region[a_b].errors.5xx == 0   | region[a_b].errors.5xx | EQUAL           | 0",
                "region[us-east1].achieved_rate >= 20/s | region[us-east1].achieved_rate | GREATER_OR_EQUAL | 20",
                "region[us-east1].time_to_first_byte.p50 < 9ms | region[us-east1].time_to_first_byte.p50 | LESS | 9",
                "cost < 0.05 USD               | cost.total            | LESS             | 0.05",
                "cost.total <= 1usd            | cost.total            | LESS_OR_EQUAL    | 1",
                "cost.per_million < 20 USD     | cost.per_million_predictions | LESS      | 20",
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
                "cost < 0.05          | 'cost' is money: give its currency, e.g. 0.05 USD",
                "cost < 0.05 EUR      | unit 'EUR' does not fit 'cost', money in the price table's currency: use USD",
                "cost < 5%            | unit '%' does not fit 'cost'",
                "connection_wait.p98 < 1ms | unknown figure 'connection_wait.p98'",
                "region[].p99 < 1s    | 'region[].p99' names no region: write region[NAME].FIGURE",
                "region[us-east1] < 1s | 'region[us-east1]' names no figure: write region[us-east1].FIGURE",
                "region[us-east1].p98 < 1s | unknown figure 'p98' in 'region[us-east1].p98'",
                "region[us-east1].warm.p99 < 1s | 'warm.p99' is not reported per region, only for the whole run",
                "region[us-east1].cost < 1 USD | 'cost' is not reported per region",
                "region[a].region[b].p99 < 1s | unknown figure 'region' in 'region[a].region'",
                "region.p99 < 1s      | a region's figure is written region[NAME].FIGURE, e.g. region[us-east1].p99",
                "region [x].p99 < 1s  | a region's figure is written region[NAME].FIGURE",
                "region[us-east1].p99 < 1%  | unit '%' does not fit 'region[us-east1].p99', a duration",
            })
    void refusesWhatItCannotReadWithAMessageSayingWhy(String text, String message) {
        assertThatThrownBy(() -> CriterionSyntax.parse(text))
                .isInstanceOf(InvalidCriterionException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aRegionFigureTravelsThroughTheProtoWithItsRegionAndUnit() throws Exception {
        Criterion c =
                CriterionSyntax.parse("region[eu.west-1].errors.timeout <= 2").withAbortOnFail(true);

        Criterion back = Criterion.fromProto(c.toProto());

        assertThat(back).isEqualTo(c);
        assertThat(back.figure().region()).hasValue("eu.west-1");
        assertThat(back.figure().withinRegion().name()).isEqualTo("errors.timeout");
        assertThat(CriterionSyntax.parse("cost.per_million < 20 USD").formattedLimit())
                .isEqualTo("20 USD");
        assertThat(CriterionSyntax.parse("cost < 0.000125 USD").formattedLimit())
                .isEqualTo("0.000125 USD");
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
                case MONEY -> "1 USD";
            };
            assertThat(CriterionSyntax.parse(f.name() + " == " + value).figure())
                    .isEqualTo(f);
        }
    }
}
