package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.report.ReportFiles;
import io.salvo.target.ControllableTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 3: a worker process killed mid-run; the survivors take over its share. */
class WorkerLossTest {

    @TempDir
    Path dir;

    @Test
    void killingOneOfThreeWorkersKeepsTheTargetRate() throws Exception {
        ControllableTarget target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(2));
        List<SalvoProcess> processes = new ArrayList<>();
        try {
            String tokenFile = dir.resolve("token").toString();
            SalvoProcess coordinator = SalvoProcess.start(
                    dir, "coordinator", "coordinator", "--port", "0", "--http-port", "0", "--token-file", tokenFile);
            processes.add(coordinator);
            String port = coordinator.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 30_000);
            List<SalvoProcess> workers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                SalvoProcess w = SalvoProcess.start(
                        dir,
                        "worker-" + i,
                        "worker",
                        "--coordinator",
                        "127.0.0.1:" + port,
                        "--id",
                        "w" + i,
                        "--token-file",
                        tokenFile);
                workers.add(w);
                processes.add(w);
            }
            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 300, "20s", 3, ""));
            SalvoProcess run = SalvoProcess.start(
                    dir,
                    "run",
                    "run",
                    plan.toString(),
                    "--coordinator",
                    "127.0.0.1:" + port,
                    "--out",
                    dir.resolve("results").toString(),
                    "--token-file",
                    tokenFile);
            processes.add(run);

            run.awaitLine(Pattern.compile("^\\s+5\\.0s\\s+ok"), 90_000);
            workers.get(1).process.destroyForcibly(); // SIGKILL: no goodbye, no last report
            assertThat(run.awaitExit(120)).as(run.output()).isZero();

            JsonNode report = report(dir.resolve("results"));
            JsonNode totals = report.get("totals");
            assertThat(report.get("run").get("state").asText()).isEqualTo("completed");
            assertThat(totals.get("successes").asDouble())
                    .as("totals %s", totals)
                    .isGreaterThanOrEqualTo(0.95 * 6000);

            JsonNode reslices = report.get("run").get("reslices");
            assertThat(reslices).hasSize(1);
            JsonNode reslice = reslices.get(0);
            assertThat(reslice.get("cause").asText()).isEqualTo("lost");
            assertThat(reslice.get("worker").asText()).isEqualTo("w1");
            assertThat(reslice.get("epoch").asLong()).isEqualTo(2);
            assertThat(reslice.get("workers_after"))
                    .extracting(JsonNode::asText)
                    .containsExactly("w0", "w2");
            assertThat(reslice.get("at_s").asDouble()).isBetween(4.0, 9.0);
            assertThat(run.output()).contains("Re-slice at").contains("worker w1 lost");

            // From two intervals after the re-slice to the end of the load, each survivor carries half of 300/s
            long from = (long) Math.ceil(reslice.get("at_s").asDouble()) + 2;
            for (JsonNode worker : report.get("workers")) {
                String id = worker.get("id").asText();
                if (id.equals("w1")) {
                    assertThat(worker.get("lost").asBoolean()).isTrue();
                    continue;
                }
                long sent = 0;
                long intervals = 0;
                for (Iterator<Map.Entry<String, JsonNode>> it =
                                worker.get("sent_by_interval").properties().iterator();
                        it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    long index = Long.parseLong(e.getKey());
                    if (index >= from && index < 20) {
                        sent += e.getValue().asLong();
                        intervals++;
                    }
                }
                assertThat(intervals).isEqualTo(20 - from);
                double rate = (double) sent / intervals;
                assertThat(rate).as("worker %s rate after the re-slice", id).isBetween(150 * 0.97, 150 * 1.03);
            }
        } finally {
            processes.forEach(SalvoProcess::close);
            target.close();
        }
    }

    static JsonNode report(Path results) throws Exception {
        try (Stream<Path> files = Files.list(results)) {
            Path json = files.filter(p -> p.toString().endsWith(".json"))
                    .findFirst()
                    .orElseThrow();
            return ReportFiles.json().readTree(json.toFile());
        }
    }
}
