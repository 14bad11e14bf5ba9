package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.target.ControllableTarget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `salvo search` refuses what cannot describe a search: one line naming the problem, exit 2, nothing sent. */
class SearchCommandBadInputTest {

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

    private String search(String extraPlan, String... options) throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, """
                target:
                  url: http://127.0.0.1:%d/
                phases:
                  - duration: 10s
                    rate: 50
                %s
                """.formatted(target.port(), extraPlan));
        List<String> args = new ArrayList<>(
                List.of("search", plan.toString(), "--out", dir.resolve("out").toString()));
        args.addAll(List.of(options));
        int code = SalvoCli.execute(args.toArray(String[]::new));
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(code).as(text).isEqualTo(2);
        assertThat(target.requestsReceived()).isZero();
        assertThat(text.lines().count())
                .as("exactly one message line: %s", text)
                .isEqualTo(1);
        assertThat(text).doesNotContain("Exception").doesNotContain("\tat ");
        return text.replace(plan.toString(), "plan.yaml");
    }

    @Test
    void anObjectiveThatDoesNotParse() throws Exception {
        assertThat(search("", "--slo", "p99 <")).isEqualTo("salvo: --slo 'p99 <': missing value after 'p99 <'");
    }

    @Test
    void anObjectiveAStepCannotJudge() throws Exception {
        assertThat(search("", "--slo", "time_to_steady_state < 10s"))
                .startsWith("salvo: 'time_to_steady_state < 10s': a capacity search judges each step on its"
                        + " steady-state intervals");
    }

    @Test
    void noObjectiveAtAll() throws Exception {
        assertThat(search(""))
                .isEqualTo("salvo: a capacity search needs objectives: give --slo 'p99<200ms' (repeatable) or"
                        + " thresholds in the plan");
    }

    @Test
    void thePlansThresholdsServeWhenNoSloIsGiven() throws Exception {
        assertThat(search("thresholds:\n  - time_to_first_response < 5s")).contains("'time_to_first_response < 5s'");
    }

    @Test
    void aMaximumBelowTheStart() throws Exception {
        assertThat(search("", "--slo", "p99<100ms", "--from", "50", "--max", "10"))
                .isEqualTo("salvo: --max (10.0/s) is below --from (50.0/s)");
    }

    @Test
    void aPrecisionThatIsNotAPercentage() throws Exception {
        assertThat(search("", "--slo", "p99<100ms", "--precision", "tight"))
                .isEqualTo("salvo: --precision: expected a percentage such as 5%, got 'tight'");
    }

    @Test
    void aBadPlanNamesFileLineAndField() throws Exception {
        assertThat(search("arival: poisson", "--slo", "p99<100ms")).startsWith("salvo: plan.yaml:6: arival");
    }
}
