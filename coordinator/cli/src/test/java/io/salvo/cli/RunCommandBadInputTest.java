package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.target.ControllableTarget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `salvo run` with a bad plan: one message naming file, line and field, exit code 2, and not a
 * single request sent (the target counts what it receives).
 */
class RunCommandBadInputTest {

    @TempDir
    Path dir;

    private ControllableTarget target;
    private PrintStream originalErr;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() {
        target = ControllableTarget.start(0);
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() {
        System.setErr(originalErr);
        target.close();
    }

    private String run(String planText) throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, planText.replace("PORT", Integer.toString(target.port())));
        int code = SalvoCli.execute(
                "run", plan.toString(), "--out", dir.resolve("out").toString());
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(2);
        assertThat(target.requestsReceived()).isZero();
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(text.lines().count())
                .as("exactly one message line: %s", text)
                .isEqualTo(1);
        assertThat(text).doesNotContain("Exception").doesNotContain("\tat ");
        return text.replace(plan.toString(), "plan.yaml");
    }

    private static final String GOOD_TARGET = """
            target:
              url: http://127.0.0.1:PORT/
            """;

    @Test
    void unknownKey() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases:
                  - duration: 5s
                    rate: 10
                    burst: 3
                """))
                .isEqualTo("salvo: plan.yaml:6: phases[0].burst: unknown key (expected one of duration, rate)");
    }

    @Test
    void unknownThresholdFigure() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases:
                  - duration: 5s
                    rate: 10
                thresholds:
                  - check: p99 < 5%
                """))
                .isEqualTo("salvo: plan.yaml:7: thresholds[0].check: unit '%' does not fit 'p99', a duration: use us, "
                        + "ms, s, m or h, e.g. 300ms");
    }

    @Test
    void negativeRate() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases:
                  - duration: 5s
                    rate: -10
                """))
                .isEqualTo("salvo: plan.yaml:5: phases[0].rate: must be greater than 0 requests per second, got -10");
    }

    @Test
    void zeroRate() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases:
                  - duration: 5s
                    rate: 0
                """))
                .isEqualTo("salvo: plan.yaml:5: phases[0].rate: must be greater than 0 requests per second, got 0");
    }

    @Test
    void zeroDuration() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases:
                  - duration: 0s
                    rate: 10
                """))
                .isEqualTo("salvo: plan.yaml:4: phases[0].duration: must be at least 1ms, got '0s'");
    }

    @Test
    void malformedUrl() throws Exception {
        assertThat(run("""
                target:
                  url: "127.0.0.1:PORT/infer"
                phases:
                  - duration: 5s
                    rate: 10
                """.replace("PORT", "8080")))
                .isEqualTo(
                        "salvo: plan.yaml:2: target.url: malformed URL '127.0.0.1:8080/infer': must start with http:// or https://");
    }

    @Test
    void missingBodyFile() throws Exception {
        assertThat(run("""
                target:
                  url: http://127.0.0.1:PORT/
                  bodyFile: requests.jsonl
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .isEqualTo(
                        "salvo: plan.yaml:3: target.bodyFile: body file not found: " + dir.resolve("requests.jsonl"));
    }

    @Test
    void unreadableYaml() throws Exception {
        assertThat(run(GOOD_TARGET + """
                phases: [
                  - duration: 5s
                """)).startsWith("salvo: plan.yaml:").contains("not readable as YAML");
    }

    @Test
    void missingPlanFile() {
        int code = SalvoCli.execute("run", dir.resolve("nope.yaml").toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .isEqualTo("salvo: " + dir.resolve("nope.yaml") + ": plan file not found");
    }

    @Test
    void unknownOptionIsAUsageError() {
        int code = SalvoCli.execute("run", "--frobnicate", "plan.yaml");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option: '--frobnicate'");
    }
}
