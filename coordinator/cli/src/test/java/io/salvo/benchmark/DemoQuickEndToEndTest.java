package io.salvo.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.benchmark.ExperimentRecord.Experiment;
import io.salvo.benchmark.ExperimentRecord.TruthInstance;
import io.salvo.cli.SalvoCli;
import io.salvo.testkit.Prerequisite;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvo demo --quick} end to end, in process: real model-server instances on the local emulator, an
 * embedded coordinator and a local worker process. Checks the tables, and that the cold starts Salvo detected
 * from the responses are exactly the instances the platform started (same count, same ids), with the time to
 * first response within 50 ms of the router's own first-request-to-first-2xx span. Skipped when the
 * model-server jar has not been built.
 */
class DemoQuickEndToEndTest {

    private static final Path MODEL_SERVER_JAR =
            Path.of("..", "..", "model-server", "target", "salvo-model-server.jar");

    @Test
    void quickDemoProducesFilledTablesAndColdStartsMatchTheGroundTruth(@TempDir Path out) throws Exception {
        Prerequisite.require(
                Files.isRegularFile(MODEL_SERVER_JAR),
                "model-server jar not built: " + MODEL_SERVER_JAR.toAbsolutePath());
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exit;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            exit = SalvoCli.execute(
                    "demo",
                    "--quick",
                    "-q",
                    "--out",
                    out.toString(),
                    "--model-server-jar",
                    MODEL_SERVER_JAR.toString());
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        original.println(output);
        assertThat(exit).as(output).isZero();
        assertThat(output)
                .contains("LOCAL EMULATIONS")
                .contains("Machine: ")
                .contains("Model size comparison")
                .contains("quick mode leaves out")
                .contains("est. $/1M warm");

        List<ExperimentRecord> records = BenchmarkFiles.read(List.of(out));
        assertThat(records).hasSize(8); // 2 models x 2 profiles x (cold, warm)
        for (ExperimentRecord record : records) {
            assertThat(record.emulation()).isTrue();
            assertThat(record.runState()).isEqualTo("completed");
            // every intended request completed in some class (the model-server's queue may refuse a burst with 503)
            assertThat(record.measured().successes() + record.measured().errors())
                    .as(record.runId())
                    .isEqualTo(record.measured().intended());
            assertThat(record.measured().successes()).isPositive();
            assertThat(out.resolve(record.runReport())).exists();
            // the local platform's emulated usage, priced: every quantity has a price, and requests were billed
            assertThat(record.cost()).isNotNull();
            assertThat(record.cost().complete())
                    .as(record.cost().unpriced().toString())
                    .isTrue();
            assertThat(record.cost().perMillion()).isPositive();
            if (record.experiment() == Experiment.COLD_START) {
                Set<String> truth = record.groundTruth().instances().stream()
                        .map(TruthInstance::instanceId)
                        .collect(Collectors.toSet());
                Set<String> detected = record.measured().coldStarts().stream()
                        .map(ExperimentRecord.ColdStartRow::instanceId)
                        .collect(Collectors.toSet());
                assertThat(record.measured().coldStarts())
                        .as("%s: one event per instance", BenchmarkFiles.fileName(record))
                        .hasSameSizeAs(record.groundTruth().instances());
                assertThat(detected)
                        .as(BenchmarkFiles.fileName(record))
                        .isNotEmpty()
                        .isEqualTo(truth);
                assertThat(record.measured().timeToFirstSuccessResolution()).isEqualTo("exact");
                // on failure, say which leg differs: worker send -> router receive, or router 2xx -> worker completion
                assertThat(record.measured().timeToFirstSuccessMillis())
                        .as(
                                "%s: worker first send %.1f ms, router first"
                                        + " request %.1f ms, router first 2xx %.1f ms, worker first 2xx %.1f ms (since interval 0)",
                                BenchmarkFiles.fileName(record),
                                record.measured().firstSendOffsetMillis(),
                                record.groundTruth().firstRequestOffsetMillis(),
                                record.groundTruth().firstSuccessOffsetMillis(),
                                record.measured().firstSuccessOffsetMillis())
                        .isCloseTo(record.groundTruth().timeToFirstSuccessMillis(), Offset.offset(50.0));
                ExperimentRecord warm = records.stream()
                        .filter(r -> r.experiment() == Experiment.WARM
                                && r.model().name().equals(record.model().name())
                                && r.profile().equals(record.profile()))
                        .findFirst()
                        .orElseThrow();
                assertThat(warm.measured().warmP50Millis()).isNotNull();
                assertThat(record.measured().timeToFirstSuccessMillis())
                        .as("cold start slower than warm latency")
                        .isGreaterThan(warm.measured().warmP99Millis());
            }
        }

        String tables = ComparisonTables.render(records);
        assertThat(output).contains(tables.lines().skip(2).findFirst().orElseThrow());
        for (String line : tables.lines()
                .filter(l -> l.startsWith("  lambda-like")
                        || l.startsWith("  cloud-run-like")
                        || l.startsWith("  tiny-bert-shape")
                        || l.startsWith("  minilm"))
                .toList()) {
            // every cell is a number with a unit, a count, a cost estimate in dollars, "not reached", or "yes" in the
            // cold verified column (a cold start that was not verified, NO or unverified, is unexpected text)
            String cells = line.replace("not reached", "")
                    .replaceAll("\\byes\\b", "")
                    .replaceAll("[0-9.]+ (ms|s|MB|M parameters)\\*?", "")
                    .replaceAll("\\$[0-9.]+\\+?", "")
                    .replaceAll("\\b[0-9]+\\b", "")
                    .replaceAll("lambda-like|cloud-run-like|tiny-bert-shape|minilm", "");
            assertThat(cells.strip()).as("unexpected cell text in: %s", line).isEmpty();
        }
    }
}
