package io.salvo.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.report.RunReport;
import io.salvo.thresholds.CriterionSyntax;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The rate sequence of a capacity search against modelled targets: a target with a sharp capacity passes every
 * step at or below it and fails every step above, so the search must bracket that capacity within its precision.
 */
class CapacitySearchTest {

    private static SearchSettings settings(double start, double max, double precision, int maxSteps) throws Exception {
        return new SearchSettings(
                List.of(CriterionSyntax.parse("p99 < 100ms")), start, max, precision, 2, 1, 0.1, maxSteps);
    }

    /** Runs the search against {@code target}, which gives each rate its verdict; returns the rates tried. */
    private static List<Double> drive(CapacitySearch search, DoubleFunction<Verdict> target) {
        List<Double> rates = new ArrayList<>();
        for (OptionalDouble next = search.nextRate(); next.isPresent(); next = search.nextRate()) {
            double rate = next.getAsDouble();
            rates.add(rate);
            search.record(step(rate, target.apply(rate)));
        }
        return rates;
    }

    private static StepResult step(double rate, Verdict verdict) {
        StepFigures figures = new StepFigures(
                rate,
                true,
                10,
                100,
                100,
                100,
                100,
                new RunReport.Errors(0, 0, 0, 0, 0),
                10.0,
                20.0,
                30.0,
                0.1,
                0.0,
                StepFigures.ServiceTimeFloor.NONE,
                0,
                0);
        return new StepResult(figures, List.of(), verdict, verdict.label(), "run-" + rate);
    }

    private static DoubleFunction<Verdict> sharpCapacity(double capacity) {
        return rate -> rate <= capacity ? Verdict.PASS : Verdict.FAIL;
    }

    @Test
    void doublesWhileStepsPassThenBisectsUntilTheBracketIsWithinThePrecision() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(50, 10_000, 0.10, 20));

        List<Double> rates = drive(search, sharpCapacity(190));

        assertThat(rates).containsExactly(50.0, 100.0, 200.0, 150.0, 175.0, 187.5);
        SearchOutcome outcome = search.outcome();
        assertThat(outcome.conclusion()).isEqualTo(SearchOutcome.Conclusion.CONVERGED);
        assertThat(outcome.answered()).isTrue();
        assertThat(outcome.highestPassingRate()).isEqualTo(187.5);
        assertThat(outcome.lowestFailingRate()).isEqualTo(200.0);
        assertThat(outcome.steps()).hasSize(6);
    }

    @Test
    void findsAnyCapacityWithinTheRequestedPrecision() throws Exception {
        for (double capacity : new double[] {3, 49, 50, 51, 333, 1_000, 7_777}) {
            for (double precision : new double[] {0.01, 0.05, 0.2}) {
                CapacitySearch search = new CapacitySearch(settings(50, 100_000, precision, 60));
                drive(search, sharpCapacity(capacity));
                SearchOutcome outcome = search.outcome();
                assertThat(outcome.conclusion())
                        .as("capacity %s, precision %s", capacity, precision)
                        .isEqualTo(SearchOutcome.Conclusion.CONVERGED);
                double pass = outcome.highestPassingRate();
                double fail = outcome.lowestFailingRate();
                assertThat(pass).isLessThanOrEqualTo(capacity);
                assertThat(fail).isGreaterThan(capacity);
                assertThat(fail - pass).isLessThanOrEqualTo(precision * pass);
            }
        }
    }

    @Test
    void aFirstStepThatFailsStepsDownUntilOnePasses() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(400, 10_000, 0.10, 20));

        List<Double> rates = drive(search, sharpCapacity(60));

        assertThat(rates.subList(0, 4)).containsExactly(400.0, 200.0, 100.0, 50.0);
        assertThat(search.outcome().conclusion()).isEqualTo(SearchOutcome.Conclusion.CONVERGED);
        assertThat(search.outcome().highestPassingRate()).isLessThanOrEqualTo(60.0);
    }

    @Test
    void aTargetThatFailsEvenAtLowLoadEndsWithNonePassed() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(320, 10_000, 0.10, 20));

        List<Double> rates = drive(search, rate -> Verdict.FAIL);

        assertThat(rates).containsExactly(320.0, 160.0, 80.0, 40.0, 20.0, 10.0);
        assertThat(search.outcome().conclusion()).isEqualTo(SearchOutcome.Conclusion.NONE_PASSED);
        assertThat(search.outcome().answered()).isFalse();
        assertThat(search.outcome().highestPassingRate()).isNull();
    }

    @Test
    void aTargetThatSustainsTheMaximumEndsThereWithoutGoingPastIt() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(100, 500, 0.10, 20));

        List<Double> rates = drive(search, rate -> Verdict.PASS);

        assertThat(rates).containsExactly(100.0, 200.0, 400.0, 500.0);
        assertThat(search.outcome().conclusion()).isEqualTo(SearchOutcome.Conclusion.AT_LEAST_MAX);
        assertThat(search.outcome().answered()).isTrue();
        assertThat(search.outcome().message()).contains("raise --max");
    }

    @Test
    void aGeneratorLimitEndsTheSearchAndBlamesNothingOnTheTarget() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(100, 10_000, 0.05, 20));

        List<Double> rates = drive(search, rate -> rate >= 400 ? Verdict.GENERATOR_LIMIT : Verdict.PASS);

        assertThat(rates).as("the lagging step is run once more").containsExactly(100.0, 200.0, 400.0, 400.0);
        SearchOutcome outcome = search.outcome();
        assertThat(outcome.conclusion()).isEqualTo(SearchOutcome.Conclusion.GENERATOR_LIMITED);
        assertThat(outcome.answered()).isFalse();
        assertThat(outcome.highestPassingRate()).isEqualTo(200.0);
        assertThat(outcome.lowestFailingRate())
                .as("no failure was blamed on the target")
                .isNull();
        assertThat(outcome.message()).contains("add workers");
    }

    @Test
    void aGeneratorLimitThatDoesNotRepeatIsForgotten() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(50, 10_000, 0.10, 20));
        boolean[] hiccup = {true};

        List<Double> rates = drive(search, rate -> {
            if (rate == 100 && hiccup[0]) {
                hiccup[0] = false;
                return Verdict.GENERATOR_LIMIT;
            }
            return rate <= 190 ? Verdict.PASS : Verdict.FAIL;
        });

        assertThat(rates).containsExactly(50.0, 100.0, 100.0, 200.0, 150.0, 175.0, 187.5);
        assertThat(search.outcome().conclusion()).isEqualTo(SearchOutcome.Conclusion.CONVERGED);
    }

    @Test
    void theStepLimitEndsASearchThatHasNotConverged() throws Exception {
        CapacitySearch search = new CapacitySearch(settings(50, 100_000, 0.001, 5));

        List<Double> rates = drive(search, sharpCapacity(333));

        assertThat(rates).hasSize(5);
        assertThat(search.outcome().conclusion()).isEqualTo(SearchOutcome.Conclusion.STEP_LIMIT);
        assertThat(search.nextRate()).isEmpty();
        assertThatThrownBy(() -> search.record(step(1, Verdict.PASS))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void settingsThatCannotDescribeASearchAreRefused() throws Exception {
        var objective = List.of(CriterionSyntax.parse("p99 < 100ms"));
        assertThatThrownBy(() -> new SearchSettings(List.of(), 10, 100, 0.05, 2, 1, 0.1, 10))
                .hasMessageContaining("at least one objective");
        assertThatThrownBy(() -> new SearchSettings(objective, 100, 10, 0.05, 2, 1, 0.1, 10))
                .hasMessageContaining("0 < start <= max");
        assertThatThrownBy(() -> new SearchSettings(objective, 10, 100, 0, 2, 1, 0.1, 10))
                .hasMessageContaining("precision");
        assertThatThrownBy(() -> new SearchSettings(objective, 10, 100, 0.05, 1, 1, 0.1, 10))
                .hasMessageContaining("growth");
    }
}
