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
    void abortOnFailOnAnUpperLimitOfAMaximumTheLiveViewCarries() throws PlanException {
        RunPlan plan = parse("  - check: connection_wait.max < 50ms\n    abortOnFail: true\n"
                + "  - check: scheduler_lag.max <= 20ms\n    abortOnFail: true\n");
        assertThat(plan.getThresholdsList())
                .extracting(ThresholdCriterion::getFigure)
                .containsExactly("connection_wait.max", "scheduler_lag.max");
        assertThat(plan.getThresholdsList()).allMatch(ThresholdCriterion::getAbortOnFail);
        // as monotone, but no live snapshot carries it: decided at the end only
        assertThatThrownBy(() -> parse("  - check: time_to_first_byte.max < 1s\n    abortOnFail: true\n"))
                .isInstanceOf(PlanException.class)
                .hasMessageEndingWith("'time_to_first_byte.max < 1s' is only decided when the run ends");
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

    private static final String REGIONS_PLAN = """
            target:
              url: http://127.0.0.1:8080/
            phases:
              - duration: 10s
                rate: 100
            regions: {us-east1: 2, eu.west-1: 1}
            thresholds:
            """;

    @Test
    void aRegionCriterionNamesOneOfThePlansRegions() throws Exception {
        RunPlan plan = new PlanParser()
                .parse(
                        "plan.yaml",
                        new StringReader(REGIONS_PLAN
                                + "  - region[us-east1].p99 < 250ms\n"
                                + "  - check: region[eu.west-1].errors == 0\n    abortOnFail: true\n"),
                        null);

        assertThat(plan.getThresholdsList())
                .extracting(ThresholdCriterion::getFigure)
                .containsExactly("region[us-east1].latency.p99", "region[eu.west-1].errors");
        assertThat(plan.getThresholds(1).getAbortOnFail()).isTrue();

        assertThatThrownBy(() -> new PlanParser()
                        .parse(
                                "plan.yaml",
                                new StringReader(REGIONS_PLAN + "  - p50 < 1s\n  - region[us-west1].p99 < 250ms\n"),
                                null))
                .isInstanceOf(PlanException.class)
                .hasMessage("plan.yaml:9: thresholds[1]: unknown region 'us-west1' (the plan's regions: us-east1, "
                        + "eu.west-1)");
        // a region's p99 needs the region's final count, which nothing bounds during the run
        assertThatThrownBy(() -> new PlanParser()
                        .parse(
                                "plan.yaml",
                                new StringReader(
                                        REGIONS_PLAN + "  - check: region[us-east1].p99 < 1s\n    abortOnFail: true\n"),
                                null))
                .isInstanceOf(PlanException.class)
                .hasMessageStartingWith("plan.yaml:9: thresholds[0].abortOnFail: abortOnFail needs a criterion");
    }

    @Test
    void aRegionCriterionInAPlanWithoutRegions() {
        refused(
                "  - region[us-east1].p99 < 250ms\n",
                "plan.yaml:7: thresholds[0]: 'region[us-east1].p99 < 250ms' names region 'us-east1', but the plan has "
                        + "no regions section");
        refused(
                "  - region[us-east1].warm.p99 < 250ms\n",
                "plan.yaml:7: thresholds[0]: 'warm.p99' is not reported per region, only for the whole run (per "
                        + "region: the latency, latency_2xx, service_time, scheduler_lag, connection_wait, "
                        + "time_to_first_byte, connect and tls_handshake statistics, errors, error_rate, intended, sent, "
                        + "requests, successes, late_sends, in_flight_cap_hits, unsent, connection_waits, "
                        + "achieved_rate, success_rate)");
    }

    @Test
    void theNewFiguresAreReadAndAnUnknownOneIsAPlanError() throws Exception {
        RunPlan plan = parse("  - cold_start_latency < 10s\n  - connection_wait.p99 < 5ms\n"
                + "  - time_to_first_byte.p95 < 100ms\n  - connection_waits <= 3\n");

        assertThat(plan.getThresholdsList())
                .extracting(ThresholdCriterion::getFigure)
                .containsExactly(
                        "first_cold_start.first_response_latency",
                        "connection_wait.p99",
                        "time_to_first_byte.p95",
                        "connection_waits");
        refused(
                "  - p50 < 1s\n  - time_to_first_bite.p99 < 1s\n",
                "plan.yaml:8: thresholds[1]: unknown figure 'time_to_first_bite.p99' (e.g. p99, warm.p99, errors, "
                        + "error_rate, achieved_rate, time_to_first_response, time_to_steady_state, steady_state; "
                        + "docs/user-guide.md lists them all)");
    }

    @Test
    void aCostCriterionNeedsAPlatformSection() throws Exception {
        refused(
                "  - cost < 0.05 USD\n",
                "plan.yaml:7: thresholds[0]: 'cost.total' is the run's estimated cost, which only a plan with a "
                        + "platform: section has (docs/cost.md)");
        refused(
                "  - check: cost.per_million < 20 USD\n",
                "plan.yaml:7: thresholds[0].check: 'cost.per_million_predictions' is the run's estimated cost, which "
                        + "only a plan with a platform: section has (docs/cost.md)");
        String onPlatform = """
                platform:
                  name: scripted-cloud
                  deployment: {model: minilm, memory: 1024}
                target:
                  url: /v2/models/minilm/predict
                phases:
                  - duration: 2s
                    rate: 5
                thresholds:
                  - cost < 0.05 USD
                  - check: cost.per_million_predictions < 20 USD
                """;
        PlanDocument document =
                new PlanParser().parseDocument("plan.yaml", new StringReader(onPlatform), java.nio.file.Path.of("."));
        assertThat(document.plan().getThresholdsList())
                .extracting(ThresholdCriterion::getFigure)
                .containsExactly("cost.total", "cost.per_million_predictions");
        // only the end of the run knows the bill
        assertThatThrownBy(() -> new PlanParser()
                        .parseDocument(
                                "plan.yaml",
                                new StringReader(onPlatform.replace(
                                        "  - cost < 0.05 USD\n",
                                        "  - check: cost < 0.05 USD\n    abortOnFail: true\n")),
                                java.nio.file.Path.of(".")))
                .isInstanceOf(PlanException.class)
                .hasMessageStartingWith("plan.yaml:11: thresholds[0].abortOnFail: abortOnFail needs a criterion")
                .hasMessageEndingWith("'cost < 0.05 USD' is only decided when the run ends");
    }
}
