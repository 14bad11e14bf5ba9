package io.salvo.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The matrix files the platform guides give as complete are valid: each parses, and every cell's driver accepts its
 * settings and checks the deployment against its platform's limits, as {@code salvo bench} does before it deploys.
 */
class PlatformGuideMatrixTest {

    private static final Path GUIDES = Path.of("../../docs/platforms");

    @ParameterizedTest
    @CsvSource({
        "aws-lambda.md, lambda-vs-run, 'lambda.arm,lambda.x86,lambda.pc2,cloud-run'",
        "cloud-run.md, run-settings, 'run.request-billed,run.instance-billed,run.boost'"
    })
    void theCompleteMatrixFileOfTheGuideIsValid(String guide, String name, String columns) throws Exception {
        String yaml = completeMatrixFile(Files.readString(GUIDES.resolve(guide)));

        MatrixSpec matrix = MatrixParser.parse(guide, "guide", new StringReader(yaml), null);
        MatrixParser.checkDrivers(matrix);

        assertThat(matrix.name()).isEqualTo(name);
        List<String> expected = List.of(columns.split(","));
        assertThat(matrix.cells()).hasSize(2 * expected.size());
        assertThat(matrix.cells().stream().map(MatrixCell::id))
                .contains("minilm." + expected.get(0), "distilbert-shape." + expected.get(expected.size() - 1));
    }

    /** The first YAML block after the guide's "A complete matrix file" heading. */
    private static String completeMatrixFile(String guide) {
        int section = guide.indexOf("## A complete matrix file");
        assertThat(section)
                .as("the guide has a section 'A complete matrix file'")
                .isNotNegative();
        int start = guide.indexOf("```yaml\n", section) + "```yaml\n".length();
        int end = guide.indexOf("```", start);
        return guide.substring(start, end);
    }
}
