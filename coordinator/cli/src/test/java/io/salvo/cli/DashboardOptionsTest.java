package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's command-line options, given wrong: one clear message, exit code 2, nothing started. */
class DashboardOptionsTest {

    @TempDir
    Path dir;

    private PrintStream originalErr;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void captureErr() {
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreErr() {
        System.setErr(originalErr);
    }

    private String refused(String... args) {
        int code = SalvoCli.execute(args);
        String text = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(code).as(text).isEqualTo(2);
        assertThat(text.lines().count()).as("one message line: %s", text).isEqualTo(1);
        assertThat(text).doesNotContain("Exception").doesNotContain("\tat ");
        return text;
    }

    private Path plan() throws Exception {
        Path plan = dir.resolve("plan.yaml");
        Files.writeString(plan, """
                target:
                  url: http://127.0.0.1:1/
                phases:
                  - duration: 1s
                    rate: 1
                """);
        return plan;
    }

    @Test
    void coordinatorRefusesAnImpossiblePort() {
        assertThat(refused("coordinator", "--port", "0", "--http-port", "70000"))
                .isEqualTo("salvo: --http-port must be between 0 and 65535, got 70000");
    }

    @Test
    void coordinatorRefusesAMissingViewerTokenFile() {
        Path missing = dir.resolve("no-such-file");
        assertThat(refused("coordinator", "--port", "0", "--viewer-token-file", missing.toString()))
                .isEqualTo("salvo: viewer token file not readable: " + missing);
    }

    @Test
    void runWithAClusterServesNoDashboardOfItsOwn() throws Exception {
        assertThat(refused("run", plan().toString(), "--coordinator", "127.0.0.1:1", "--http-port", "0"))
                .startsWith("salvo: --http-port serves the embedded coordinator's dashboard; with --coordinator,");
    }

    @Test
    void runRefusesAMissingViewerTokenFile() throws Exception {
        Path missing = dir.resolve("no-such-file");
        assertThat(refused("run", plan().toString(), "--http-port", "0", "--viewer-token-file", missing.toString()))
                .isEqualTo("salvo: viewer token file not readable: " + missing);
    }
}
