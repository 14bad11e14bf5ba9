package io.salvo.coordinator.http;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.coordinator.server.FakeWorker;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two coordinators of one cluster, each serving a dashboard: a viewer of the leader's dashboard continues on the
 * follower's after the leader dies, from the event after the last one it received, with the same event ids.
 */
class DashboardTakeoverTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ClusterToken token = ClusterToken.generate();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        closeables.add(c);
        return c;
    }

    @Test
    void aViewerOfTheDeadLeadersDashboardResumesOnTheFollowersWithoutDuplicates() throws Exception {
        String clusterName = "dashboard-takeover-" + UUID.randomUUID();
        int portA = freePort();
        int portB = freePort();
        List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(300))
                .withGrace(Duration.ofSeconds(30))
                .withHeartbeatTimeout(Duration.ofSeconds(60))
                .withTick(Duration.ofMillis(20));
        String nameA = InProcessServerBuilder.generateName();
        String nameB = InProcessServerBuilder.generateName();
        CoordinatorServer a = closing(CoordinatorServer.start(
                InProcessServerBuilder.forName(nameA),
                WallClock.system(),
                null,
                settings,
                null,
                new ClusterSettings(clusterName, "127.0.0.1", portA, members)));
        CoordinatorServer b = closing(CoordinatorServer.start(
                InProcessServerBuilder.forName(nameB),
                WallClock.system(),
                null,
                settings,
                null,
                new ClusterSettings(clusterName, "127.0.0.1", portB, members)));
        ManagedChannel toA = InProcessChannelBuilder.forName(nameA).build();
        ManagedChannel toB = InProcessChannelBuilder.forName(nameB).build();
        closing(toA::shutdownNow);
        closing(toB::shutdownNow);
        DashboardServer dashboardA = DashboardServer.start(a, DashboardSettings.loopback(0, token));
        DashboardServer dashboardB = closing(DashboardServer.start(b, DashboardSettings.loopback(0, token)));
        assertThat(a.cluster().isLeader()).isTrue();

        FakeWorker w0 = closing(new FakeWorker(toB, "w0", ProtocolVersion.PROTOCOL_VERSION_1, 0));
        Await.until("the leader sees the worker", () -> a.registry().connected() == 1);
        String runId = RunControlGrpc.newBlockingStub(toA)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(100, 30_000, 1))
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        w0.awaitAssignment();

        // Each dashboard lists both, so a page knows where to go; and each lets the other's pages read (CORS).
        JsonObject cluster =
                new JsonObject(get(dashboardA.url() + "/api/cluster").body());
        assertThat(cluster.getJsonArray("dashboards")).hasSize(2);
        assertThat(get(dashboardB.url() + "/api/runs", Map.of("Origin", dashboardA.url()))
                        .headers()
                        .firstValue("Access-Control-Allow-Origin"))
                .contains(dashboardA.url());

        SseClient onA = closing(new SseClient(http, dashboardA.url() + "/api/runs/" + runId + "/events", Map.of()));
        w0.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "w0", 0, 1_000, 2_000))
                .build());
        SseClient.Event first = onA.next();
        assertThat(first.id()).isZero();

        a.halt(); // the leader dies, and its dashboard with it
        dashboardA.close();
        onA.closedByServer.handle((ok, error) -> null).get(20, TimeUnit.SECONDS);
        Await.until(
                "the follower took over",
                () -> b.cluster().isLeader() && b.runs().run(runId).isPresent());

        // The page reconnects to the other coordinator, resuming after the last event it saw.
        SseClient onB = closing(new SseClient(
                http, dashboardB.url() + "/api/runs/" + runId + "/events?last_event_id=" + first.id(), Map.of()));
        w0.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, "w0", 1, 3_000))
                .build());
        w0.send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(runId)
                        .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                .build());
        SseClient.Event second = onB.next();
        assertThat(second.id()).isEqualTo(1);
        assertThat(second.data().getLong("interval_index")).isEqualTo(1);
        SseClient.Event end = onB.next();
        assertThat(end.name()).isEqualTo("end");
        assertThat(end.data().getString("state")).isEqualTo("completed");
        onB.closedByServer.get(20, TimeUnit.SECONDS);
        assertThat(onB.events).isEmpty();

        // The dead coordinator's dashboard stays a known origin (its open pages follow the run from here), not live.
        JsonObject after = new JsonObject(get(dashboardB.url() + "/api/cluster").body());
        assertThat(after.getJsonArray("dashboards").stream()
                        .map(o -> ((JsonObject) o).getString("url") + " live=" + ((JsonObject) o).getBoolean("live"))
                        .toList())
                .containsExactlyInAnyOrder(dashboardA.url() + " live=false", dashboardB.url() + " live=true");
        JsonObject run =
                new JsonObject(get(dashboardB.url() + "/api/runs/" + runId).body());
        assertThat(run.getJsonArray("takeovers")).hasSize(1);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return get(url, Map.of());
    }

    private HttpResponse<String> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        headers.forEach(r::header);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
