package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salvo.target.ControllableTarget;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3: two coordinator processes form one cluster, three worker processes and the CLI use both;
 * the leader is killed with SIGKILL mid-run and the other coordinator completes the run.
 */
class CoordinatorFailoverTest {

    private static final Pattern FINISHED = Pattern.compile("run (\\S+) finished: ([\\d,]+) sent, ([\\d,]+) completed");

    @TempDir
    Path dir;

    @Test
    void killingTheLeaderMidRunLosesNoReportedInterval() throws Exception {
        ControllableTarget target = ControllableTarget.start(0);
        target.setDelay(Duration.ofMillis(2));
        List<SalvoProcess> processes = new ArrayList<>();
        try {
            String tokenFile = dir.resolve("token").toString();
            String clusterName = "failover-" + UUID.randomUUID().toString().substring(0, 8);
            int memberPortA = freePort();
            int memberPortB = freePort();
            String members = "127.0.0.1:" + memberPortA + ",127.0.0.1:" + memberPortB;
            SalvoProcess leader = SalvoProcess.start(
                    dir,
                    "coordinator-a",
                    "coordinator",
                    "--port",
                    "0",
                    "--http-port",
                    "0",
                    "--token-file",
                    tokenFile,
                    "--cluster-name",
                    clusterName,
                    "--cluster-port",
                    "" + memberPortA,
                    "--cluster-members",
                    members);
            processes.add(leader);
            String portA = leader.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 60_000);
            assertThat(leader.awaitLine(Pattern.compile("Coordinator cluster .*, (leader|follower)$"), 10_000))
                    .isEqualTo("leader");
            SalvoProcess follower = SalvoProcess.start(
                    dir,
                    "coordinator-b",
                    "coordinator",
                    "--port",
                    "0",
                    "--http-port",
                    "0",
                    "--token-file",
                    tokenFile,
                    "--cluster-name",
                    clusterName,
                    "--cluster-port",
                    "" + memberPortB,
                    "--cluster-members",
                    members);
            processes.add(follower);
            String portB = follower.awaitLine(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), 60_000);
            assertThat(follower.awaitLine(Pattern.compile("Coordinator cluster .* member \\S+ of (\\d+),"), 10_000))
                    .isEqualTo("2");
            String a = "127.0.0.1:" + portA;
            String b = "127.0.0.1:" + portB;

            // w1 starts on the follower: its assignment and reports travel through the cluster.
            List<SalvoProcess> workers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String list = i == 1 ? b + "," + a : a + "," + b;
                SalvoProcess w = SalvoProcess.start(
                        dir,
                        "worker-" + i,
                        "worker",
                        "--coordinator",
                        list,
                        "--id",
                        "w" + i,
                        "--token-file",
                        tokenFile);
                workers.add(w);
                processes.add(w);
            }
            Path plan = dir.resolve("plan.yaml");
            Files.writeString(plan, Plans.yaml(target.port(), 300, "14s", 3, ""));
            SalvoProcess run = SalvoProcess.start(
                    dir,
                    "run",
                    "run",
                    plan.toString(),
                    "--coordinator",
                    a + "," + b,
                    "--out",
                    dir.resolve("results").toString(),
                    "--token-file",
                    tokenFile);
            processes.add(run);

            run.awaitLine(Pattern.compile("^\\s+4\\.0s\\s+ok"), 120_000);
            leader.process.destroyForcibly(); // SIGKILL: the leader takes nothing with it but itself
            assertThat(run.awaitExit(120)).as(run.output()).isZero();

            JsonNode report = WorkerLossTest.report(dir.resolve("results"));
            JsonNode info = report.get("run");
            assertThat(info.get("state").asText()).isEqualTo("completed");
            assertThat(info.get("takeovers")).as("report %s", info).hasSize(1);
            JsonNode takeover = info.get("takeovers").get(0);
            assertThat(takeover.get("at_s").asDouble()).isBetween(3.0, 12.0);
            assertThat(takeover.get("from_coordinator").asText())
                    .isNotEqualTo(takeover.get("to_coordinator").asText());
            assertThat(run.output()).contains("Coordinator takeover at").contains("lost coordinator " + a);

            // Zero reported intervals lost: what each worker counted is what the report holds.
            Map<String, long[]> counted = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                assertThat(workers.get(i).process.isAlive()).isTrue();
                counted.put(
                        "w" + i, finishedCounts(workers.get(i), info.get("id").asText()));
            }
            long completed = 0;
            for (JsonNode worker : report.get("workers")) {
                String id = worker.get("id").asText();
                long[] counts = counted.get(id);
                assertThat(worker.get("sent").asLong())
                        .as("requests worker %s sent", id)
                        .isEqualTo(counts[0]);
                assertThat(worker.get("completed").asLong())
                        .as("requests worker %s completed", id)
                        .isEqualTo(counts[1]);
                assertThat(worker.get("lost").asBoolean())
                        .as("worker %s lost", id)
                        .isFalse();
                assertThat(worker.get("intervals_reported").asLong()).isGreaterThanOrEqualTo(14);
                completed += counts[1];
            }
            assertThat(report.get("workers")).hasSize(3);
            JsonNode totals = report.get("totals");
            assertThat(totals.get("requests").asLong()).isEqualTo(completed);
            assertThat(totals.get("successes").asDouble())
                    .as("totals %s", totals)
                    .isGreaterThanOrEqualTo(0.95 * 4200);
            assertThat(target.requestsReceived()).isGreaterThanOrEqualTo(completed);
        } finally {
            processes.forEach(SalvoProcess::close);
            target.close();
        }
    }

    /** Sent and completed, as the worker logged them when it finished the run. */
    private static long[] finishedCounts(SalvoProcess worker, String runId) throws Exception {
        String line = worker.awaitLine(Pattern.compile("(run " + Pattern.quote(runId) + " finished: .*)"), 30_000);
        Matcher m = FINISHED.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return new long[] {
            Long.parseLong(m.group(2).replace(",", "")),
            Long.parseLong(m.group(3).replace(",", ""))
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
