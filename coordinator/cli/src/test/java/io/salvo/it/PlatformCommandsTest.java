package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.benchmark.ComparisonTables;
import io.salvo.cli.SalvoCli;
import io.salvo.report.ReportFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code salvo platforms}, {@code salvo run} of a plan with a {@code platform} section, and {@code salvo deploy model
 * --detach} with {@code salvo teardown}, on the scripted cloud driver of this module's test ServiceLoader resources.
 */
class PlatformCommandsTest {

    private record Captured(int exit, String out) {}

    private static Captured salvo(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        PrintStream originalErr = System.err;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            exit = SalvoCli.execute(args);
        } finally {
            System.setOut(original);
            System.setErr(originalErr);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        original.println(text);
        return new Captured(exit, text);
    }

    @Test
    void platformsListsEveryDriverFoundWithWhatItNeeds() {
        Captured c = salvo("platforms");
        assertThat(c.exit()).isZero();
        assertThat(c.out())
                .contains("local  ")
                .contains("settings: profile")
                .contains("url  ")
                .contains("scripted-cloud  scripted test platform");
    }

    @Test
    void runWithAPlatformSectionDeploysForcesColdRunsReportsUsageAndTearsDown(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.log");
        Path plan = Files.writeString(dir.resolve("plan.yaml"), """
                name: on-scripted-cloud
                platform:
                  name: scripted-cloud
                  config: {events: %s, cold-start-ms: 200}
                  deployment: {model: minilm, memory: 1024}
                  forceCold: true
                target:
                  url: /v2/models/minilm/predict
                  method: POST
                phases:
                  - duration: 2s
                    rate: 10
                thresholds:
                  - cost < 1 USD
                  - cost.per_million_predictions > 0 USD
                """.formatted(events));
        Captured c =
                salvo("run", plan.toString(), "-q", "--out", dir.resolve("out").toString());
        assertThat(c.exit()).as(c.out()).isZero();
        assertThat(c.out())
                .contains("Deploying minilm on scripted cloud (test double)")
                .contains("Forced cold: every instance that was running is gone.")
                .contains("Platform usage over the run")
                .contains("aws-lambda:gb-seconds:x86_64")
                .contains("Thresholds: all 2 passed")
                .contains("Tearing down scripted cloud");
        // the estimate is the report's, priced before the report was written: its cost criteria judged on it, and
        // the console's estimate line the same figures
        JsonNode report;
        try (var files = Files.list(dir.resolve("out"))) {
            Path json = files.filter(
                            p -> p.toString().endsWith(".json") && !p.toString().endsWith("-platform.json"))
                    .findFirst()
                    .orElseThrow();
            report = ReportFiles.json().readTree(json.toFile());
        }
        JsonNode cost = report.get("cost");
        assertThat(cost.get("currency").asText()).isEqualTo("USD");
        double lines = 0;
        for (JsonNode line : cost.get("lines")) {
            lines += line.get("cost").asDouble();
        }
        assertThat(cost.get("total").asDouble()).isPositive().isCloseTo(lines, within(1e-15));
        assertThat(cost.get("predictions").asLong())
                .isEqualTo(report.at("/totals/successes").asLong());
        assertThat(report.at("/thresholds/0/observed").asDouble())
                .isEqualTo(cost.get("total").asDouble());
        assertThat(report.at("/thresholds/1/observed").asDouble())
                .isEqualTo(cost.get("per_million_predictions").asDouble());
        assertThat(c.out())
                .contains("Estimated cost: "
                        + ComparisonTables.money(cost.get("total").asDouble()) + " in all");
        // the driver is attached to the run: told just before its load starts, which comes before the first request
        assertThat(Files.readAllLines(events))
                .isEqualTo(List.of("deploy minilm", "load starting", "first request", "teardown minilm"));
    }

    @Test
    void deployModelDetachedRecordsItsStateAndTeardownConsumesIt(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("events.log");
        Path state = dir.resolve("deployment.json");
        Captured deployed = salvo(
                "deploy",
                "model",
                "--platform",
                "scripted-cloud",
                "--set",
                "events=" + events,
                "--model",
                "minilm",
                "--memory",
                "1024",
                "--detach",
                "--state",
                state.toString());
        assertThat(deployed.exit()).as(deployed.out()).isZero();
        assertThat(deployed.out()).contains("Deployed: http://127.0.0.1:").contains("salvo teardown --state");
        assertThat(Files.readString(state))
                .contains("\"platform\" : \"scripted-cloud\"")
                .contains("minilm");

        Captured teardown = salvo("teardown", "--state", state.toString());
        assertThat(teardown.exit()).as(teardown.out()).isZero();
        assertThat(state).doesNotExist();
        // a driver created again from the recorded settings found the deployment and removed it
        assertThat(Files.readAllLines(events)).isEqualTo(List.of("deploy minilm", "teardown minilm"));

        // the local platform cannot be left behind: its instances end with the process
        Captured local = salvo("deploy", "model", "--platform", "local", "--model", "minilm", "--detach");
        assertThat(local.exit()).isEqualTo(2);
        assertThat(local.out()).contains("--detach cannot keep a local deployment");
        // the names coexist with the worker commands
        assertThat(salvo("undeploy", "model", "--help").exit()).isZero();
        assertThat(salvo("deploy", "workers", "--help").exit()).isZero();
    }
}
