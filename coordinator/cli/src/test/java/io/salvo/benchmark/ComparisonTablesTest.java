package io.salvo.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.benchmark.ExperimentRecord.ColdStartRow;
import io.salvo.benchmark.ExperimentRecord.Experiment;
import io.salvo.benchmark.ExperimentRecord.GroundTruth;
import io.salvo.benchmark.ExperimentRecord.Measured;
import io.salvo.benchmark.ExperimentRecord.Scaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTablesTest {

    private static final MachineInfo MACHINE = new MachineInfo(2, 24L << 30, "Test CPU", "Java 17", "Linux");
    private static final ModelFacts MINILM = new ModelFacts("minilm", 91_099_267, 22_700_000, "all-MiniLM-L6-v2");

    @Test
    void recordsRoundTripThroughFilesAndRenderTheSameTables(@TempDir Path dir) throws IOException {
        List<ExperimentRecord> records = List.of(
                record(Experiment.COLD_START, "lambda-like", 2_345.6, 7.0, null, 1),
                record(Experiment.WARM, "lambda-like", 15.3, null, 12.5, 0),
                record(Experiment.COLD_START, "cloud-run-like", 1_200.0, null, null, 1),
                record(Experiment.WARM, "cloud-run-like", 14.0, null, null, 0));
        for (ExperimentRecord r : records) {
            BenchmarkFiles.write(r, dir);
        }
        Files.writeString(dir.resolve("some-run-report.json"), "{\"schema_version\": 1, \"run\": {}}");

        List<ExperimentRecord> read = BenchmarkFiles.read(List.of(dir));
        assertThat(read).containsExactlyInAnyOrderElementsOf(records);
        String tables = ComparisonTables.render(records);
        assertThat(tables)
                .contains("2 cores, 24.0 GiB memory, Test CPU")
                .contains("LOCAL EMULATIONS")
                .contains("Model minilm (22.7 M parameters, 91.1 MB), constant 20 req/s")
                .contains("2.35 s")
                .contains("7.00 s")
                .contains("12.5 ms")
                .contains("not reached")
                .contains("Model size comparison");
        // compare reads the records back and prints what the demo printed
        List<ExperimentRecord> inDemoOrder = read.stream()
                .sorted(java.util.Comparator.comparingInt(records::indexOf))
                .toList();
        assertThat(ComparisonTables.render(inDemoOrder)).isEqualTo(tables);
    }

    @Test
    void aFileThatIsNotARecordIsRefusedByName(@TempDir Path dir) throws IOException {
        Path report = Files.writeString(dir.resolve("run.json"), "{\"schema_version\": 1}");
        try {
            BenchmarkFiles.read(List.of(report));
            throw new AssertionError("expected a refusal");
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("run.json").contains("not a Salvo benchmark run record");
        }
    }

    @Test
    void modelFactsComeFromTheModelServerCatalogueLines() {
        ModelFacts bert =
                ModelFacts.parseListLine("bert-base-shape    prepared 438,694,449 bytes BERT-base architecture"
                        + " and size, random seeded weights (109,482,240 parameters; outputs meaningless)");
        assertThat(bert).isNotNull();
        assertThat(bert.fileBytes()).isEqualTo(438_694_449L);
        assertThat(bert.parameters()).isEqualTo(109_482_240L);
        ModelFacts minilm = ModelFacts.parseListLine("minilm             prepared 91,099,267 bytes all-MiniLM-L6-v2"
                + " sentence embedder (pretrained, 22.7 M parameters, 384-d, mean pooling + L2 norm)");
        assertThat(minilm.parameters()).isEqualTo(22_700_000L);
        assertThat(ModelFacts.parseListLine("model cache: /root/.cache/salvo/models"))
                .isNull();
    }

    private static ExperimentRecord record(
            Experiment experiment, String profile, double value, Double ttss, Double warmP50, int coldStarts) {
        boolean cold = experiment == Experiment.COLD_START;
        List<ColdStartRow> starts =
                cold && coldStarts > 0 ? List.of(new ColdStartRow("id-" + profile, 2, value, 800L)) : List.of();
        Measured measured = new Measured(
                200,
                200,
                0,
                "response header Salvo-Instance-Id",
                cold ? value : 3.0,
                "exact",
                0L,
                cold ? 10.0 : null,
                cold ? 10.0 + value : null,
                ttss != null,
                ttss,
                "W=5 intervals of 1000 ms",
                cold ? null : warmP50,
                cold ? null : 20.0,
                cold ? null : 30.0,
                cold ? 0 : 100,
                warmP50 == null ? RunMeasurement.WARM_BASIS_FALLBACK : RunMeasurement.WARM_BASIS_STEADY,
                starts);
        return new ExperimentRecord(
                ExperimentRecord.SCHEMA_VERSION,
                experiment,
                MINILM,
                "local",
                profile,
                "local " + profile + " (local emulation)",
                true,
                new Scaling(1, 0, 2, 0, 10_000),
                20,
                10,
                "run-" + profile + experiment,
                "completed",
                "runs/x.json",
                MACHINE,
                measured,
                new GroundTruth(
                        "local", cold ? value - 5 : null, cold ? 12.0 : null, cold ? 7.0 + value : null, List.of()));
    }
}
