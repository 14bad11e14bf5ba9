package io.salvo.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The matrix file: what a valid one becomes (cells, columns, laid-over deployments), and every refusal with its line
 * and field. The {@code scripted-cloud} driver comes from this module's test ServiceLoader resources.
 */
class MatrixParserTest {

    private static final String VALID = """
            name: seed
            load:
              cold: 8s
              warm: 4s
              requestTimeout: 30s
            models:
              - name: minilm
                rate: 30
                memory: 768
              - name: tiny-bert-shape
                rate: 40
                cold: 6s
            platforms:
              - name: lambda-like
                platform: local
                config:
                  profile: lambda-like
                deployment:
                  maxInstances: 2
              - name: cloud
                platform: scripted-cloud
                config:
                  cold-start-ms: 100
                deployment:
                  memory: 2048
                configurations:
                  - name: small
                    deployment:
                      memory: 1024
                  - name: slow
                    config:
                      cold-start-ms: 900
            """;

    private static MatrixSpec parse(String yaml) throws PlanException {
        return MatrixParser.parse("m.yaml", "m", new StringReader(yaml), null);
    }

    @Test
    void aValidMatrixBecomesOneCellPerModelAndPlatformColumn() throws PlanException {
        MatrixSpec matrix = parse(VALID);
        assertThat(matrix.name()).isEqualTo("seed");
        assertThat(matrix.cells())
                .extracting(MatrixCell::id)
                .containsExactly(
                        "minilm.lambda-like",
                        "minilm.cloud.small",
                        "minilm.cloud.slow",
                        "tiny-bert-shape.lambda-like",
                        "tiny-bert-shape.cloud.small",
                        "tiny-bert-shape.cloud.slow");
        MatrixCell local = matrix.cells().get(0);
        assertThat(local.platform()).isEqualTo("local");
        assertThat(local.config()).containsEntry("profile", "lambda-like");
        assertThat(local.deployment().memoryMbPerInstance()).isEqualTo(768);
        assertThat(local.deployment().maxInstances()).isEqualTo(2);
        assertThat(local.cold()).isEqualTo(Duration.ofSeconds(8));
        assertThat(local.warm()).isEqualTo(Duration.ofSeconds(4));
        assertThat(local.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(local.path()).isEqualTo("/v2/models/minilm/predict");
        // the configuration's deployment over the entry's over the model's
        assertThat(matrix.cells().get(1).deployment().memoryMbPerInstance()).isEqualTo(1024);
        assertThat(matrix.cells().get(2).deployment().memoryMbPerInstance()).isEqualTo(2048);
        assertThat(matrix.cells().get(2).config()).containsEntry("cold-start-ms", "900");
        assertThat(matrix.cells().get(3).cold()).isEqualTo(Duration.ofSeconds(6));
        assertThat(matrix.cells().get(3).deployment().memoryMbPerInstance()).isEqualTo(512);
    }

    @Test
    void theFingerprintChangesWithWhatACellMeasuresOnly() throws PlanException {
        MatrixCell a = parse(VALID).cells().get(1);
        MatrixCell same =
                parse(VALID.replace("name: seed", "name: other")).cells().get(1);
        MatrixCell faster = parse(VALID.replace("rate: 30", "rate: 31")).cells().get(1);
        assertThat(same.fingerprint()).isEqualTo(a.fingerprint());
        assertThat(faster.fingerprint()).isNotEqualTo(a.fingerprint());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("an unknown top-level key", VALID.replace("load:", "lode:"), 2, "lode", "unknown key"),
                Arguments.of("no models", VALID.replace("models:", "modelz:"), 6, "modelz", "unknown key"),
                Arguments.of(
                        "a rate that is not a number",
                        VALID.replace("rate: 30", "rate: fast"),
                        8,
                        "models[0].rate",
                        "must be a number"),
                Arguments.of(
                        "a zero rate", VALID.replace("rate: 30", "rate: 0"), 8, "models[0].rate", "must be above 0"),
                Arguments.of(
                        "a model listed twice",
                        VALID.replace("name: tiny-bert-shape", "name: minilm"),
                        10,
                        "models[1].name",
                        "listed twice"),
                Arguments.of(
                        "a duration without a unit",
                        VALID.replace("cold: 8s", "cold: 8"),
                        3,
                        "load.cold",
                        "must be a duration"),
                Arguments.of(
                        "a fraction of a second",
                        VALID.replace("warm: 4s", "warm: 4500ms"),
                        4,
                        "load.warm",
                        "whole seconds"),
                Arguments.of(
                        "an unknown platform driver",
                        VALID.replace("platform: scripted-cloud", "platform: aws-lambada"),
                        21,
                        "platforms[1].platform",
                        "unknown platform 'aws-lambada'"),
                Arguments.of(
                        "a driver setting the driver does not read",
                        VALID.replace("profile: lambda-like", "profil: lambda-like"),
                        17,
                        "platforms[0].config",
                        "unknown setting(s) [profil]"),
                Arguments.of(
                        "a malformed driver setting in a configuration",
                        VALID.replace("cold-start-ms: 900", "cold-start-ms: slow"),
                        32,
                        "platforms[1].configurations[1].config",
                        "must be an integer"),
                Arguments.of(
                        "an unknown deployment key",
                        VALID.replace("maxInstances: 2", "maxInstance: 2"),
                        19,
                        "platforms[0].deployment.maxInstance",
                        "unknown key"),
                Arguments.of(
                        "the model named in a platform's deployment",
                        VALID.replace("maxInstances: 2", "model: bert"),
                        19,
                        "platforms[0].deployment.model",
                        "unknown key"),
                Arguments.of(
                        "minimum above maximum",
                        VALID.replace("maxInstances: 2", "maxInstances: 2\n      minInstances: 3"),
                        20,
                        "platforms[0].deployment.minInstances",
                        "must not exceed maxInstances"),
                Arguments.of(
                        "a column listed twice",
                        VALID.replace("name: slow", "name: small"),
                        30,
                        "platforms[1].configurations[1].name",
                        "listed twice"),
                Arguments.of(
                        "a name that cannot name a file",
                        VALID.replace("name: cloud", "name: cloud/run"),
                        20,
                        "platforms[1].name",
                        "letters, digits"),
                Arguments.of(
                        "a path that is not one",
                        VALID.replace("requestTimeout: 30s", "path: v2/infer"),
                        5,
                        "load.path",
                        "must start with /"),
                Arguments.of(
                        "a price table that does not exist",
                        VALID.replace("name: seed", "name: seed\nprices: nowhere.yaml"),
                        2,
                        "prices",
                        "price table not found"),
                Arguments.of("not YAML", "models: [", 1, "", "not readable as YAML"),
                Arguments.of("empty", "", 1, "", "the matrix is empty"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void anInvalidMatrixIsRefusedWithItsLineAndField(String what, String yaml, int line, String field, String problem) {
        assertThatThrownBy(() -> parse(yaml)).as(what).isInstanceOfSatisfying(PlanException.class, e -> {
            assertThat(e.field()).as(e.getMessage()).isEqualTo(field);
            assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
            assertThat(e.problem()).as(e.getMessage()).contains(problem);
            assertThat(e.getMessage()).startsWith("m.yaml:");
        });
    }

    @Test
    void aDeploymentBeyondThePlatformsLimitsIsRefusedBeforeAnythingIsDeployed() throws PlanException {
        // without the local entry, whose check needs a built model-server jar
        String cloudOnly = VALID.substring(0, VALID.indexOf("  - name: lambda-like"))
                + VALID.substring(VALID.indexOf("  - name: cloud"));
        MatrixSpec matrix = parse(cloudOnly.replace("memory: 1024", "memory: 64"));
        int smallLine = (int) cloudOnly
                .substring(0, cloudOnly.indexOf("- name: small"))
                .lines()
                .count();
        assertThatThrownBy(() -> MatrixParser.checkDrivers(matrix)).isInstanceOfSatisfying(PlanException.class, e -> {
            assertThat(e.line()).isEqualTo(smallLine);
            assertThat(e.field()).isEqualTo("minilm.cloud.small");
            assertThat(e.problem()).contains("memory must be 128 to 10240 MB, got 64");
        });
    }

    @Test
    void aPlanPlatformSectionIsReadWithItsDeploymentAndTheTargetBecomesAPath() throws Exception {
        String plan = """
                name: on-a-platform
                platform:
                  name: scripted-cloud
                  config: {cold-start-ms: 50}
                  deployment: {model: minilm, memory: 1024, maxInstances: 3}
                  forceCold: true
                target:
                  url: /v2/models/minilm/predict
                  method: POST
                phases:
                  - duration: 2s
                    rate: 5
                """;
        PlanDocument document = new PlanParser().parseDocument("p.yaml", new StringReader(plan), Path.of("."));
        assertThat(document.platform().platform()).isEqualTo("scripted-cloud");
        assertThat(document.platform().config()).containsEntry("cold-start-ms", "50");
        assertThat(document.platform().deployment().model()).isEqualTo("minilm");
        assertThat(document.platform().deployment().memoryMbPerInstance()).isEqualTo(1024);
        assertThat(document.platform().deployment().maxInstances()).isEqualTo(3);
        assertThat(document.platform().forceCold()).isTrue();
        assertThat(document.targetPath()).isEqualTo("/v2/models/minilm/predict");
        // salvo search and the benchmark's own plans do not deploy: they refuse the section
        assertThatThrownBy(() -> new PlanParser().parse("p.yaml", new StringReader(plan), Path.of(".")))
                .hasMessageContaining("p.yaml:3: platform: only salvo run deploys");
        for (List<String> bad : List.of(
                List.of(
                        "url: /v2/models/minilm/predict",
                        "url: http://x/v2",
                        "target.url",
                        "is a path on the deployment"),
                List.of("name: scripted-cloud", "name: nowhere", "platform.name", "unknown platform 'nowhere'"),
                List.of("forceCold: true", "forceCold: yes please", "platform.forceCold", "true or false"),
                List.of("{model: minilm, ", "{", "platform.deployment.model", "missing required key"))) {
            assertThatThrownBy(() -> new PlanParser()
                            .parseDocument("p.yaml", new StringReader(plan.replace(bad.get(0), bad.get(1))), null))
                    .as(bad.toString())
                    .isInstanceOfSatisfying(PlanException.class, e -> {
                        assertThat(e.field()).isEqualTo(bad.get(2));
                        assertThat(e.problem()).contains(bad.get(3));
                    });
        }
    }
}
