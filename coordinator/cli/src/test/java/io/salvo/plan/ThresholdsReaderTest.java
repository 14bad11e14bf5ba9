package io.salvo.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.ThresholdCriterion;
import io.salvo.proto.v1.ThresholdOperator;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

/** The plan's thresholds section: criteria as strings or mappings, and every mistake with file, line and field. */
class ThresholdsReaderTest {

    private static final String PLAN = """
            target:
              url: http://127.0.0.1:8080/
            phases:
              - duration: 10s
                rate: 100
            thresholds:
            """;

    private static RunPlan parse(String thresholds) throws PlanException {
        return new PlanParser().parse("plan.yaml", new StringReader(PLAN + thresholds), null);
    }

    private static void refused(String thresholds, String message) {
        assertThatThrownBy(() -> parse(thresholds))
                .isInstanceOf(PlanException.class)
                .hasMessage(message);
    }

    @Test
    void readsStringsAndMappingsIntoThePlan() throws Exception {
        RunPlan plan = parse("""
                  - p99 < 300ms
                  - "errors < 0.1%"
                  - check: time_to_first_response < 10s
                    abortOnFail: true
                  - steady_state: reached
                  - {check: "achieved_rate >= 95/s", abortOnFail: false}
                """);

        assertThat(plan.getThresholdsList())
                .containsExactly(
                        ThresholdCriterion.newBuilder()
                                .setText("p99 < 300ms")
                                .setFigure("latency.p99")
                                .setOperator(ThresholdOperator.THRESHOLD_OPERATOR_LESS)
                                .setValue(300)
                                .build(),
                        ThresholdCriterion.newBuilder()
                                .setText("errors < 0.1%")
                                .setFigure("error_rate")
                                .setOperator(ThresholdOperator.THRESHOLD_OPERATOR_LESS)
                                .setValue(0.1)
                                .build(),
                        ThresholdCriterion.newBuilder()
                                .setText("time_to_first_response < 10s")
                                .setFigure("time_to_first_success")
                                .setOperator(ThresholdOperator.THRESHOLD_OPERATOR_LESS)
                                .setValue(10_000)
                                .setAbortOnFail(true)
                                .build(),
                        ThresholdCriterion.newBuilder()
                                .setText("steady_state: reached")
                                .setFigure("steady_state")
                                .setOperator(ThresholdOperator.THRESHOLD_OPERATOR_EQUAL)
                                .setValue(1)
                                .build(),
                        ThresholdCriterion.newBuilder()
                                .setText("achieved_rate >= 95/s")
                                .setFigure("achieved_rate")
                                .setOperator(ThresholdOperator.THRESHOLD_OPERATOR_GREATER_OR_EQUAL)
                                .setValue(95)
                                .build());
    }

    @Test
    void aPlanWithoutThresholdsHasNone() throws Exception {
        RunPlan plan = new PlanParser().parse("plan.yaml", new StringReader(PLAN.replace("thresholds:\n", "")), null);

        assertThat(plan.getThresholdsList()).isEmpty();
    }

    @Test
    void badFigure() {
        refused(
                "  - p99 < 300ms\n  - p98 < 300ms\n",
                "plan.yaml:8: thresholds[1]: unknown figure 'p98' (e.g. p99, warm.p99, "
                        + "errors, error_rate, achieved_rate, time_to_first_response, time_to_steady_state, steady_state; "
                        + "docs/user-guide.md lists them all)");
    }

    @Test
    void badOperator() {
        refused(
                "  - p99 => 300ms\n",
                "plan.yaml:7: thresholds[0]: expected an operator (<, <=, >, >=, ==, !=) after 'p99', got '=> 300ms'");
    }

    @Test
    void missingUnit() {
        refused(
                "  - check: p99 < 300\n",
                "plan.yaml:7: thresholds[0].check: 'p99' is a duration: give the value a unit (us, ms, s, m or h), "
                        + "e.g. 300ms");
    }

    @Test
    void unitThatDoesNotFitTheFigure() {
        refused(
                "  - p99 < 5%\n",
                "plan.yaml:7: thresholds[0]: unit '%' does not fit 'p99', a duration: use us, ms, s, m or h, e.g. 300ms");
    }

    @Test
    void badNumber() {
        refused("  - errors < lots\n", "plan.yaml:7: thresholds[0]: expected a number after 'errors <', got 'lots'");
    }

    @Test
    void unknownKeyInAMappingItem() {
        refused(
                "  - check: p99 < 300ms\n    abortOnFial: true\n",
                "plan.yaml:8: thresholds[0].abortOnFial: unknown key (expected one of abortOnFail, check, steady_state)");
    }

    @Test
    void mappingItemWithoutCheck() {
        refused("  - abortOnFail: true\n", "plan.yaml:7: thresholds[0].check: missing required key");
    }

    @Test
    void abortOnFailMustBeABoolean() {
        refused(
                "  - check: p99 < 300ms\n    abortOnFail: sometimes\n",
                "plan.yaml:8: thresholds[0].abortOnFail: must be true or false, got 'sometimes'");
    }

    @Test
    void abortOnFailOnACriterionOnlyTheEndDecides() {
        assertThatThrownBy(() -> parse("  - check: warm.p99 < 300ms\n    abortOnFail: true\n"))
                .isInstanceOf(PlanException.class)
                .hasMessageStartingWith("plan.yaml:8: thresholds[0].abortOnFail: abortOnFail needs a criterion that "
                        + "more data can only make worse")
                .hasMessageEndingWith("'warm.p99 < 300ms' is only decided when the run ends");
    }

    @Test
    void notAList() {
        refused(
                " p99 < 300ms\n",
                "plan.yaml:7: thresholds: must be a list of criteria, e.g. - \"p99 < 300ms\" (see docs/user-guide.md)");
    }

    @Test
    void steadyStateGivenTwice() {
        refused(
                "  - check: steady_state == reached\n    steady_state: reached\n",
                "plan.yaml:8: thresholds[0].steady_state: give the criterion once: either check: \"steady_state == "
                        + "reached\" or steady_state: reached");
    }
}
