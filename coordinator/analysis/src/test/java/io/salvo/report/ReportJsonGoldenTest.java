package io.salvo.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.testkit.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the JSON report, schema version 1: today's writer must produce the committed samples for the fixed runs
 * of {@link GoldenRuns}, and today's reader must read them back into the same report. A renamed, added or
 * removed property fails here; such a change needs schema version 2 and new goldens next to these.
 */
class ReportJsonGoldenTest {

    private static final String STEADY = "report-v" + RunReport.SCHEMA_VERSION + ".json";
    private static final String NOT_STEADY = "report-not-steady-v" + RunReport.SCHEMA_VERSION + ".json";
    private static final String REGIONS = "report-regions-v" + RunReport.SCHEMA_VERSION + ".json";
    /** The steady run with the platform section the CLI adds from its driver (platform section version 1). */
    private static final String PLATFORM = "report-platform-v" + RunReport.SCHEMA_VERSION + ".json";

    @TempDir
    Path dir;

    @Test
    void todaysWriterProducesTheSteadyRunGolden() throws Exception {
        Golden.assertMatches(STEADY, written(RunReport.from(GoldenRuns.steady())), ReportJsonGoldenTest::differences);
    }

    @Test
    void todaysWriterProducesTheNotSteadyRunGolden() throws Exception {
        RunReport report = RunReport.from(GoldenRuns.notSteady(), GoldenRuns.notSteadyPlatform());
        Golden.assertMatches(NOT_STEADY, written(report), ReportJsonGoldenTest::differences);
    }

    @Test
    void todaysReaderReadsTheSteadyRunGoldenAsTheFixedRunsReport() throws Exception {
        RunReport golden = ReportFiles.json().readValue(Golden.read(STEADY), RunReport.class);

        assertThat(golden).isEqualTo(RunReport.from(GoldenRuns.steady()));
        assertThat(golden.schemaVersion()).isEqualTo(1);
        assertThat(golden.run().start()).isEqualTo("2027-01-15T08:00:00Z");
        assertThat(golden.run().reslices())
                .extracting(RunReport.ResliceRow::cause)
                .containsExactly("lost", "takeover");
        assertThat(golden.run().takeovers())
                .singleElement()
                .extracting(RunReport.TakeoverRow::toCoordinator)
                .isEqualTo("coord-b");
        assertThat(golden.totals().requests()).isEqualTo(52 + 98 + 100 + 96 + 100 + 100);
        // Of interval 1's 10 timeouts, 2 were never written: one waited for a slot, one for a connection.
        assertThat(golden.totals().errors()).isEqualTo(new RunReport.Errors(6, 12, 8, 52, 2));
        assertThat(golden.totals().unsentReasons()).isEqualTo(new RunReport.UnsentReasons(1, 1, 0));
        assertThat(golden.totals().connectionWaits()).isEqualTo(20);
        assertThat(golden.totals().connectionWait().count()).isEqualTo(88 + 100 + 96 + 100 + 100);
        assertThat(golden.totals().connect().count()).isEqualTo(16);
        assertThat(golden.totals().tlsHandshake().min()).isEqualTo(8.0);
        assertThat(golden.intervals().get(1).connectionWait().max()).isBetween(67.9, 68.1);
        assertThat(golden.intervals().get(0).timeToFirstByte().count()).isZero();
        assertThat(golden.intervals().get(0).timeToFirstByte().p50()).isNull();
        assertThat(golden.intervals().get(1).capturedHeaders()).containsKeys("Salvo-Instance-Id", "X-Model-Version");
        assertThat(golden.intervals().get(6).latency().count()).isZero();
        assertThat(golden.intervals().get(6).latency().p50()).isNull();

        DetectorReport detectors = golden.detectors();
        assertThat(detectors.instanceSource()).isEqualTo("response_headers");
        assertThat(detectors.coldStarts())
                .extracting(DetectorReport.ColdStartRow::instanceId)
                .containsExactly("pod-a", "pod-b");
        assertThat(detectors.coldStarts().get(0).firstResponseLatencyMillis()).isEqualTo(812.345);
        assertThat(detectors.coldStarts().get(1).modelLoadMillis()).isNull();
        assertThat(detectors.timeToFirstSuccess().resolution()).isEqualTo("exact");
        assertThat(detectors.timeToFirstSuccess().millis()).isEqualTo(1_818.0);
        assertThat(detectors.steadyState().reached()).isTrue();
        assertThat(detectors.steadyState().startInterval()).isEqualTo(2);
        assertThat(detectors.warmLatency().count()).isEqualTo(296);
        assertThat(detectors.warmLatency().coldExcludedResponses()).isEqualTo(100);
        assertThat(detectors.warmLatency().p50()).isBetween(10.0, 12.0);
        assertThat(golden.workers()).extracting(RunReport.WorkerRow::lost).containsExactly(false, true);
    }

    @Test
    void todaysReaderReadsTheNotSteadyRunGoldenWithNullForEveryAbsentValue() throws Exception {
        RunReport golden = ReportFiles.json().readValue(Golden.read(NOT_STEADY), RunReport.class);

        assertThat(golden).isEqualTo(RunReport.from(GoldenRuns.notSteady(), GoldenRuns.notSteadyPlatform()));
        assertThat(golden.run().state()).isEqualTo("stopped");
        assertThat(golden.run().end()).isNull();
        assertThat(golden.intervals().get(0).latency())
                .isEqualTo(new RunReport.Percentiles(0, null, null, null, null, null, null, null, null));
        DetectorReport detectors = golden.detectors();
        assertThat(detectors.instanceSource()).isEqualTo("platform_signals");
        assertThat(detectors.coldStarts())
                .extracting(DetectorReport.ColdStartRow::instanceId)
                .containsExactly("fn-1", "fn-2");
        assertThat(detectors.coldStarts().get(0).firstResponseLatencyMillis()).isNull();
        assertThat(detectors.timeToFirstSuccess().resolution()).isEqualTo("interval");
        assertThat(detectors.timeToFirstSuccess().errorsBeforeIsUpperBound()).isTrue();
        assertThat(detectors.steadyState()).isEqualTo(new DetectorReport.Steady(false, null, null, null, null));
        assertThat(detectors.warmLatency().count()).isZero();
        assertThat(detectors.warmLatency().p50()).isNull();
        assertThat(detectors.warmLatency().p95()).isNull();
        assertThat(detectors.warmLatency().p99()).isNull();

        // Absent is null in the file itself, never a number such as -0.001 or 0.
        JsonNode tree = ReportFiles.json().readTree(Golden.read(NOT_STEADY));
        assertThat(tree.at("/detectors/warm_latency/p50_ms").isNull()).isTrue();
        assertThat(tree.at("/intervals/0/service_time/max_ms").isNull()).isTrue();
        assertThat(tree.at("/detectors/steady_state/time_to_steady_state_ms").isNull())
                .isTrue();
    }

    @Test
    void todaysWriterProducesTheRegionsRunGolden() throws Exception {
        Golden.assertMatches(REGIONS, written(RunReport.from(GoldenRuns.regions())), ReportJsonGoldenTest::differences);
    }

    @Test
    void todaysReaderReadsTheRegionsRunGoldenWithEachRegionsOwnTotals() throws Exception {
        RunReport golden = ReportFiles.json().readValue(Golden.read(REGIONS), RunReport.class);

        assertThat(golden).isEqualTo(RunReport.from(GoldenRuns.regions()));
        assertThat(golden.regions())
                .extracting(RunReport.RegionRow::region)
                .containsExactly("us-east1", "europe-west1");
        RunReport.RegionRow us = golden.regions().get(0);
        RunReport.RegionRow eu = golden.regions().get(1);
        assertThat(us.share()).isEqualTo(2.0 / 3);
        assertThat(us.workers()).containsExactly("us-1", "us-2");
        assertThat(us.totals().requests()).isEqualTo(60);
        assertThat(eu.totals().requests()).isEqualTo(22);
        assertThat(golden.totals().requests()).isEqualTo(82);
        assertThat(us.totals().latency().p99()).isLessThan(3.0);
        assertThat(eu.totals().latency().p50()).isGreaterThan(80.0);
        assertThat(eu.workersLost()).isEqualTo(1);
        assertThat(eu.unservedFromS()).isEqualTo(2.2);
        assertThat(us.unservedFromS()).isNull();
        // Half the round trips: europe's worker 15 ms, us-east1's worst 0.3 ms.
        assertThat(eu.clockErrorBoundMs()).isEqualTo(15.0);
        assertThat(us.clockErrorBoundMs()).isEqualTo(0.3);
        assertThat(golden.run().startSkewBoundMillis()).isEqualTo(15.3);
        assertThat(golden.run().reslices()).singleElement().satisfies(r -> {
            assertThat(r.region()).isEqualTo("europe-west1");
            assertThat(r.regionUnserved()).isTrue();
        });
    }

    @Test
    void todaysWriterProducesThePlatformRunGolden() throws Exception {
        RunReport report = RunReport.from(GoldenRuns.steady())
                .withPlatform(GoldenRuns.steadyPlatform())
                .withCost(GoldenRuns.steadyCost());
        Golden.assertMatches(PLATFORM, written(report), ReportJsonGoldenTest::differences);
    }

    @Test
    void todaysReaderReadsThePlatformRunGoldenWithItsBreakdownEventsAndCounts() throws Exception {
        RunReport golden = ReportFiles.json().readValue(Golden.read(PLATFORM), RunReport.class);

        assertThat(golden)
                .isEqualTo(RunReport.from(GoldenRuns.steady())
                        .withPlatform(GoldenRuns.steadyPlatform())
                        .withCost(GoldenRuns.steadyCost()));
        PlatformSection platform = golden.platform();
        assertThat(platform.version()).isEqualTo(1);
        assertThat(platform.coldStartCheck()).isEqualTo("verified");
        assertThat(platform.coldStarts())
                .extracting(PlatformSection.ColdStart::instance)
                .containsExactly("salvo-model-g1-a", "salvo-model-g1-b");
        assertThat(platform.coldStarts().get(1).modelLoadMs()).isNull();
        assertThat(platform.phaseTable().get(platform.phaseTable().size() - 1))
                .isEqualTo(new PlatformSection.PhaseRow("total", 2, 1_800, 4_300));
        assertThat(platform.instanceCounts())
                .extracting(PlatformSection.CountSample::ready)
                .containsExactly(0, 1, 2);
        assertThat(platform.events()).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("FailedScheduling");
            assertThat(e.message()).contains("Insufficient cpu");
        });
        // the cost estimate the CLI priced from the section's usage, with every line of its computation
        CostSection cost = golden.cost();
        assertThat(cost.currency()).isEqualTo("USD");
        assertThat(cost.total()).isEqualTo(0.0042 * 0.134012);
        assertThat(cost.perMillionPredictions())
                .isEqualTo(cost.total() / golden.totals().successes() * 1e6);
        assertThat(cost.lines()).singleElement().satisfies(l -> {
            assertThat(l.dimension()).isEqualTo(platform.usage().get(0).dimension());
            assertThat(l.cost()).isEqualTo(cost.total());
        });
        assertThat(cost.leavesOut()).contains("free tiers").contains("egress");
        // the rest of the report is the steady run's, unchanged by the section and the estimate
        assertThat(golden.withPlatform(null).withCost(null)).isEqualTo(RunReport.from(GoldenRuns.steady()));
        // a report without a driver says so with null, never an empty section
        JsonNode steady = ReportFiles.json().readTree(Golden.read(STEADY));
        assertThat(steady.get("platform").isNull()).isTrue();
        // a report of a Salvo from before the section (no "platform" property) reads with null
        ObjectNode older = (ObjectNode) steady.deepCopy();
        older.remove("platform");
        assertThat(ReportFiles.json().treeToValue(older, RunReport.class).platform())
                .isNull();
        // nor a cost estimate: "cost" is null, and a report from before it (no "cost" property) reads with null
        assertThat(steady.get("cost").isNull()).isTrue();
        older.remove("cost");
        assertThat(ReportFiles.json().treeToValue(older, RunReport.class).cost())
                .isNull();
    }

    @Test
    void aRenamedPropertyIsNamedByItsJsonPath() throws Exception {
        JsonNode golden = ReportFiles.json().readTree(Golden.read(STEADY));
        JsonNode renamed = golden.deepCopy();
        ObjectNode totals = (ObjectNode) renamed.get("totals");
        totals.set("sent_requests", totals.remove("sent"));
        ((ObjectNode) renamed.at("/detectors/warm_latency")).put("p50_ms", -0.001);

        assertThat(JsonTreeDiff.differences(golden, renamed))
                .containsExactlyInAnyOrder(
                        "$.totals.sent: in the golden (integer 546), missing from today's output (renamed or removed?)",
                        "$.totals.sent_requests: new in today's output (integer 546), not in the golden",
                        "$.detectors.warm_latency.p50_ms: golden fraction "
                                + golden.at("/detectors/warm_latency/p50_ms") + ", actual fraction -0.001");
        assertThat(JsonTreeDiff.differences(golden, golden.deepCopy())).isEmpty();
    }

    /** The report as {@code salvo run} writes it to disk. */
    private byte[] written(RunReport report) throws Exception {
        Path json = dir.resolve("report.json");
        ReportFiles.writeJson(report, json);
        return Files.readAllBytes(json);
    }

    private static List<String> differences(byte[] golden, byte[] actual) throws Exception {
        return JsonTreeDiff.differences(
                ReportFiles.json().readTree(golden), ReportFiles.json().readTree(actual));
    }
}
