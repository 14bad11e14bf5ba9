package io.salvo.coordinator.http;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.coordinator.server.FakeWorker;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.PlatformEventReport;
import io.salvo.proto.v1.PlatformInstances;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.ReportPlatformRequest;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's HTTP layer over real loopback HTTP, on a coordinator with a scripted worker. */
class DashboardServerTest {

    private final ClusterToken clusterToken = ClusterToken.generate();
    private final ClusterToken viewerToken = ClusterToken.generate();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private CoordinatorServer coordinator;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(300))
                .withGrace(Duration.ofSeconds(30)) // intervals are shown when the scripted worker reports them
                .withHeartbeatTimeout(Duration.ofSeconds(30))
                .withTick(Duration.ofMillis(20));
        coordinator = CoordinatorServer.start(InProcessServerBuilder.forName(name), WallClock.system(), settings, null);
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLast) {
            c.close();
        }
        channel.shutdownNow();
        coordinator.close();
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeLast.add(0, closeable);
        return closeable;
    }

    private DashboardServer loopbackDashboard() throws Exception {
        return closing(DashboardServer.start(coordinator, DashboardSettings.loopback(0, clusterToken)));
    }

    private FakeWorker worker(String id) {
        FakeWorker w = closing(new FakeWorker(channel, id, ProtocolVersion.PROTOCOL_VERSION_1, 0));
        Await.until("worker " + id + " connected", () -> coordinator.registry().get(id) != null);
        return w;
    }

    private String startRun(long durationMillis) {
        return RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(100, durationMillis, 1)
                                .setName("dashboard-test")
                                .build())
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
    }

    private HttpResponse<String> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        headers.forEach(r::header);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject getJson(String url) {
        try {
            return new JsonObject(get(url, Map.of()).body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> post(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.noBody());
        headers.forEach(r::header);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void sendReport(FakeWorker w, String runId, String workerId, long index, long... latencies) {
        w.send(WorkerMessage.newBuilder()
                .setIntervalReport(report(runId, workerId, index, latencies))
                .build());
    }

    private static void finish(FakeWorker w, String runId, long lastIndex) {
        w.send(WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(runId)
                        .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(lastIndex)))
                .build());
    }

    @Test
    void eventStreamReplaysTheHistoryFollowsLiveResumesAfterLastEventIdAndEnds() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        FakeWorker a = worker("a");
        String runId = startRun(3_000);
        a.awaitAssignment();
        String events = dashboard.url() + "/api/runs/" + runId + "/events";
        var grpcWatch = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());

        SseClient early = closing(new SseClient(http, events, Map.of()));
        assertThat(early.status).isEqualTo(200);
        sendReport(a, runId, "a", 0, 1_000, 2_000, 3_000);
        SseClient.Event first = early.next();
        assertThat(first.id()).isZero();
        assertThat(first.name()).isEqualTo("interval");
        LiveSnapshot snapshot0 = grpcWatch.next();
        assertMatches(first.data(), 0, snapshot0);

        // A viewer arriving mid-run gets the history first.
        SseClient late = closing(new SseClient(http, events, Map.of()));
        assertThat(late.next().data()).isEqualTo(first.data());

        sendReport(a, runId, "a", 1, 4_000, 5_000);
        assertThat(early.next().data()).isEqualTo(late.next().data());
        LiveSnapshot snapshot1 = grpcWatch.next();

        // A reconnect after event 0 gets event 1 and nothing before it.
        SseClient resumed = closing(new SseClient(http, events, Map.of("Last-Event-ID", "0")));
        SseClient.Event resumedFirst = resumed.next();
        assertThat(resumedFirst.id()).isEqualTo(1);
        assertMatches(resumedFirst.data(), 1, snapshot1);
        // The page's own resume parameter after a fail-over to another coordinator works the same way.
        SseClient resumedByQuery = closing(new SseClient(http, events + "?last_event_id=1", Map.of()));

        // The exact distribution of the run so far: the sum of both intervals' histograms.
        JsonObject distribution = new JsonObject(get(dashboard.url() + "/api/runs/" + runId + "/distribution", Map.of())
                .body());
        Histogram expected = HistogramSpec.newHistogram();
        for (long v : new long[] {1_000, 2_000, 3_000, 4_000, 5_000}) {
            expected.recordValue(v);
        }
        assertThat(distribution.getLong("count")).isEqualTo(5);
        assertThat(distribution.getLong("intervals")).isEqualTo(2);
        assertThat(distribution.getJsonObject("latency_micros").getLong("p50"))
                .isEqualTo(expected.getValueAtPercentile(50));
        assertThat(distribution.getJsonObject("latency_micros").getLong("max")).isEqualTo(expected.getMaxValue());
        JsonArray points = distribution.getJsonArray("points");
        assertThat(points.getJsonObject(points.size() - 1).getDouble("percentile"))
                .isEqualTo(100.0);
        assertThat(points.getJsonObject(points.size() - 1).getDouble("value_ms"))
                .isEqualTo(expected.getMaxValue() / 1000.0);

        // The per-worker table: the latest report of each worker and its clock estimate. It reads the replicated
        // reports, which the leader writes in batches (at most 50 ms behind what it merged).
        JsonObject rowA = Await.value("worker a's interval 1 in the replicated reports", () -> {
            try {
                JsonObject row = new JsonObject(get(dashboard.url() + "/api/runs/" + runId + "/workers", Map.of())
                                .body())
                        .getJsonArray("workers")
                        .getJsonObject(0);
                return row.getLong("last_interval_index", -1L) == 1 ? row : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(rowA.getString("worker_id")).isEqualTo("a");
        assertThat(rowA.getString("region")).isEqualTo("test");
        assertThat(rowA.getString("state")).isEqualTo("active");
        assertThat(rowA.getDouble("sent_rate_per_s")).isEqualTo(2.0);
        assertThat(rowA.containsKey("clock_offset_ms")).isTrue();

        sendReport(a, runId, "a", 2, 6_000);
        finish(a, runId, 2);
        for (SseClient client : List.of(early, late, resumed, resumedByQuery)) {
            SseClient.Event interval2 = client.next();
            assertThat(interval2.id()).isEqualTo(2);
            assertThat(interval2.data().getLong("interval_index")).isEqualTo(2);
            SseClient.Event end = client.next();
            assertThat(end.name()).isEqualTo("end");
            assertThat(end.id()).isEqualTo(3);
            assertThat(end.data().getString("state")).isEqualTo("completed");
            assertThat(end.data().getLong("intervals")).isEqualTo(3);
            client.closedByServer.get(20, TimeUnit.SECONDS);
            assertThat(client.events).isEmpty();
        }
        // A viewer of an ended run gets its whole history and the end, then the stream closes.
        SseClient after = closing(new SseClient(http, events, Map.of()));
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(after.next().id());
        }
        assertThat(ids).containsExactly(0L, 1L, 2L, 3L);
        after.closedByServer.get(20, TimeUnit.SECONDS);

        JsonArray runs =
                new JsonArray(get(dashboard.url() + "/api/runs", Map.of()).body());
        assertThat(runs).hasSize(1);
        assertThat(runs.getJsonObject(0).getString("run_id")).isEqualTo(runId);
        assertThat(runs.getJsonObject(0).getString("name")).isEqualTo("dashboard-test");
        assertThat(runs.getJsonObject(0).getString("state")).isEqualTo("completed");
        JsonObject run = new JsonObject(
                get(dashboard.url() + "/api/runs/" + runId, Map.of()).body());
        assertThat(run.getLong("interval_millis")).isEqualTo(1000);
        assertThat(run.getJsonArray("phases")).hasSize(1);
    }

    /**
     * Issue 13's live view: the client driving the platform reports its ready-pod count and a FailedScheduling event;
     * the next snapshot carries both, on gRPC (salvo watch) and on the dashboard's event stream, the event exactly
     * once and the counts in every snapshot after the report.
     */
    @Test
    void aPlatformReportReachesTheNextSnapshotOnGrpcAndTheDashboardStream() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        FakeWorker a = worker("a");
        String runId = startRun(3_000);
        a.awaitAssignment();
        var control = RunControlGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        var grpcWatch =
                control.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
        SseClient sse = closing(new SseClient(http, dashboard.url() + "/api/runs/" + runId + "/events", Map.of()));

        long eventAt = System.currentTimeMillis() * 1_000_000L;
        control.reportPlatform(ReportPlatformRequest.newBuilder()
                .setRunId(runId)
                .setInstances(PlatformInstances.newBuilder()
                        .setReady(0)
                        .setStarting(2)
                        .setSource("kubernetes Deployment bench/salvo-model-t"))
                .addEvents(PlatformEventReport.newBuilder()
                        .setAtUnixNanos(eventAt)
                        .setSeverity("Warning")
                        .setObject("pod/salvo-model-t-1")
                        .setReason("FailedScheduling")
                        .setMessage("0/3 nodes are available: 3 Insufficient cpu."))
                .build());
        sendReport(a, runId, "a", 0, 1_000, 2_000);

        LiveSnapshot s0 = grpcWatch.next();
        assertThat(s0.getPlatform().getReady()).isZero();
        assertThat(s0.getPlatform().getStarting()).isEqualTo(2);
        assertThat(s0.getLiveEventsList())
                .filteredOn(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_PLATFORM)
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.getPlatformEvent().getReason()).isEqualTo("FailedScheduling");
                    assertThat(e.getText())
                            .isEqualTo("platform: Warning FailedScheduling pod/salvo-model-t-1: 0/3 nodes are"
                                    + " available: 3 Insufficient cpu.");
                });
        assertThat(s0.getEventsList()).anyMatch(line -> line.contains("Insufficient cpu"));
        JsonObject json0 = sse.next().data();
        assertThat(json0.getJsonObject("platform").getInteger("ready")).isZero();
        assertThat(json0.getJsonObject("platform").getInteger("starting")).isEqualTo(2);
        JsonObject event = json0.getJsonArray("events").stream()
                .map(JsonObject.class::cast)
                .filter(e -> "platform".equals(e.getString("kind")))
                .findFirst()
                .orElseThrow();
        assertThat(event.getString("message")).isEqualTo("0/3 nodes are available: 3 Insufficient cpu.");
        assertThat(event.getString("severity")).isEqualTo("Warning");

        // a later report with new counts and no events: the counts change, the event is not shown again
        control.reportPlatform(ReportPlatformRequest.newBuilder()
                .setRunId(runId)
                .setInstances(PlatformInstances.newBuilder().setReady(2).setStarting(0))
                .build());
        sendReport(a, runId, "a", 1, 3_000);
        LiveSnapshot s1 = grpcWatch.next();
        assertThat(s1.getPlatform().getReady()).isEqualTo(2);
        assertThat(s1.getLiveEventsList()).noneMatch(e -> e.getKind() == LiveEventKind.LIVE_EVENT_KIND_PLATFORM);
        assertThat(sse.next().data().getJsonObject("platform").getInteger("ready"))
                .isEqualTo(2);
        // the counts stay on every snapshot after the report
        sendReport(a, runId, "a", 2, 3_000);
        assertThat(grpcWatch.next().getPlatform().getReady()).isEqualTo(2);

        // a run nobody knows is a clear NOT_FOUND
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> control.reportPlatform(ReportPlatformRequest.newBuilder()
                                .setRunId("no-such-run")
                                .build()))
                .isInstanceOfSatisfying(
                        io.grpc.StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));
    }

    /**
     * The region table's clock and last-report columns: per region the range of its workers' clock offsets, its clock
     * error bound (the largest half round trip, as the report's regions[].clock_error_bound_ms) and the newest
     * interval any of its workers reported; "all" over every worker.
     */
    @Test
    void perRegionClockOffsetsErrorBoundAndLastReportSumUpTheirWorkers() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        Map<String, Long> trueOffsetNanos = Map.of("us-1", 5_000_000L, "us-2", -3_000_000L, "eu-1", 40_000_000L);
        Map<String, FakeWorker> workers = new java.util.LinkedHashMap<>();
        for (String id : List.of("us-1", "us-2", "eu-1")) {
            String region = id.startsWith("us") ? "us-east1" : "europe-west1";
            workers.put(
                    id,
                    closing(new FakeWorker(
                            channel, id, region, ProtocolVersion.PROTOCOL_VERSION_1, trueOffsetNanos.get(id))));
            Await.until(
                    "worker " + id + " connected", () -> coordinator.registry().get(id) != null);
        }
        String runId = RunControlGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(TestPlans.constantRate(90, 30_000, 3)
                                .addRegions(RegionShare.newBuilder()
                                        .setRegion("us-east1")
                                        .setWeight(2)
                                        .setWorkers(2))
                                .addRegions(RegionShare.newBuilder()
                                        .setRegion("europe-west1")
                                        .setWeight(1)
                                        .setWorkers(1))
                                .build())
                        .setWorkerWaitMillis(10_000)
                        .build())
                .getRunId();
        for (FakeWorker w : workers.values()) {
            w.awaitAssignment();
        }
        sendReport(workers.get("us-1"), runId, "us-1", 0, 1_000);
        sendReport(workers.get("us-2"), runId, "us-2", 0, 1_000);
        sendReport(workers.get("eu-1"), runId, "eu-1", 0, 1_000);
        sendReport(workers.get("us-1"), runId, "us-1", 1, 1_000);

        // The replicated reports are written in batches: wait until every worker's newest one is there.
        JsonObject table = Await.value("every worker's newest report in the worker table", () -> {
            JsonObject t = getJson(dashboard.url() + "/api/runs/" + runId + "/workers");
            Map<String, Long> last = new java.util.HashMap<>();
            t.getJsonArray("workers").forEach(o -> {
                JsonObject w = (JsonObject) o;
                last.put(w.getString("worker_id"), w.getLong("last_interval_index", -1L));
            });
            return last.equals(Map.of("us-1", 1L, "us-2", 0L, "eu-1", 0L)) ? t : null;
        });
        Map<String, JsonObject> workerRows = new java.util.HashMap<>();
        table.getJsonArray("workers")
                .forEach(o -> workerRows.put(((JsonObject) o).getString("worker_id"), (JsonObject) o));
        JsonArray regions = table.getJsonArray("regions");
        assertThat(regions.stream().map(o -> ((JsonObject) o).getString("region")))
                .containsExactly("all", "us-east1", "europe-west1");
        Map<String, List<String>> members = Map.of(
                "all", List.of("us-1", "us-2", "eu-1"),
                "us-east1", List.of("us-1", "us-2"),
                "europe-west1", List.of("eu-1"));
        Map<String, Long> expectedLast = Map.of("all", 1L, "us-east1", 1L, "europe-west1", 0L);
        for (Object o : regions) {
            JsonObject region = (JsonObject) o;
            String name = region.getString("region");
            List<JsonObject> rows =
                    members.get(name).stream().map(workerRows::get).toList();
            assertThat(region.getInteger("workers")).isEqualTo(rows.size());
            assertThat(region.getInteger("workers_lost")).isZero();
            assertThat(region.getDouble("clock_offset_min_ms"))
                    .as(name)
                    .isEqualTo(rows.stream()
                            .mapToDouble(r -> r.getDouble("clock_offset_ms"))
                            .min()
                            .orElseThrow());
            assertThat(region.getDouble("clock_offset_max_ms"))
                    .as(name)
                    .isEqualTo(rows.stream()
                            .mapToDouble(r -> r.getDouble("clock_offset_ms"))
                            .max()
                            .orElseThrow());
            assertThat(region.getDouble("clock_error_bound_ms"))
                    .as(name)
                    .isEqualTo(rows.stream()
                                    .mapToDouble(r -> r.getDouble("clock_round_trip_ms"))
                                    .max()
                                    .orElseThrow()
                            / 2);
            assertThat(region.getLong("last_interval_index")).as(name).isEqualTo(expectedLast.get(name));
            assertThat(region.getDouble("last_report_end_s")).as(name).isEqualTo(expectedLast.get(name) + 1.0);
        }
        // The scripted clocks are where the estimates say, within each worker's own bound (the estimator's error is at
        // most half the probe's round trip; 1 ms more for the clock reads around it).
        workerRows.forEach((id, row) -> assertThat(row.getDouble("clock_offset_ms"))
                .as(id)
                .isCloseTo(
                        trueOffsetNanos.get(id) / 1e6,
                        org.assertj.core.data.Offset.offset(row.getDouble("clock_round_trip_ms") / 2 + 1)));
    }

    private static void assertMatches(JsonObject json, long sequence, LiveSnapshot s) {
        assertThat(json.getString("type")).isEqualTo("interval");
        assertThat(json.getLong("sequence")).isEqualTo(sequence);
        assertThat(json.getString("run_id")).isEqualTo(s.getRunId());
        assertThat(json.getLong("interval_index")).isEqualTo(s.getIntervalIndex());
        assertThat(json.getLong("sent")).isEqualTo(s.getSent());
        assertThat(json.getLong("successes")).isEqualTo(s.getSuccesses());
        assertThat(json.getDouble("target_rate_per_second")).isEqualTo(s.getTargetRatePerSecond());
        assertThat(json.getJsonObject("latency_micros").getLong("p99")).isEqualTo(s.getLatencyP99Micros());
        assertThat(json.getJsonObject("latency_micros").getLong("max")).isEqualTo(s.getLatencyMaxMicros());
        assertThat(json.getJsonObject("outcomes").getLong("2xx")).isEqualTo(s.getSuccesses());
        assertThat(json.getLong("workers_reported")).isEqualTo(s.getWorkersReported());
        assertThat(json.getLong("responding_instances")).isEqualTo(s.getRespondingInstances());
        assertThat(json.getLong("cold_starts")).isEqualTo(s.getColdStarts());
        assertThat(json.getLong("workers_connected")).isEqualTo(s.getWorkersConnected());
        assertThat(json.getLong("workers_lost")).isEqualTo(s.getWorkersLost());
    }

    @Test
    void onLoopbackReadingIsOpenButStoppingARunNeedsTheClusterToken() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        assertThat(get(dashboard.url() + "/api/runs", Map.of()).statusCode()).isEqualTo(200);
        assertThat(post(dashboard.url() + "/api/runs/nope/stop", Map.of()).statusCode())
                .isEqualTo(401);
        assertThat(post(dashboard.url() + "/api/runs/nope/stop", bearer(clusterToken))
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void offLoopbackEveryApiRequestNeedsATokenAndTheViewerTokenOnlyReads() throws Exception {
        DashboardSettings settings = new DashboardSettings("127.0.0.1", 0, null, clusterToken, viewerToken);
        DashboardServer dashboard = closing(DashboardServer.startRequiringTokens(coordinator, settings));
        String runs = dashboard.url() + "/api/runs";

        HttpResponse<String> anonymous = get(runs, Map.of());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(new JsonObject(anonymous.body()).getString("error")).isEqualTo("missing token");
        HttpResponse<String> wrong = get(runs, Map.of("Authorization", "Bearer not-the-token"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain("not-the-token");
        assertThat(get(runs, bearer(clusterToken)).statusCode()).isEqualTo(200);
        assertThat(get(runs, bearer(viewerToken)).statusCode()).isEqualTo(200);
        // EventSource cannot set headers: reads accept the token as a query parameter.
        assertThat(get(runs + "?token=" + viewerToken.reveal(), Map.of()).statusCode())
                .isEqualTo(200);
        assertThat(get(runs + "?token=wrong", Map.of()).statusCode()).isEqualTo(401);

        // Writing: the viewer token is read-only, and a query token never counts.
        FakeWorker a = worker("a");
        String runId = startRun(60_000);
        a.awaitAssignment();
        String stop = dashboard.url() + "/api/runs/" + runId + "/stop";
        assertThat(post(stop, bearer(viewerToken)).statusCode()).isEqualTo(403);
        assertThat(post(stop + "?token=" + clusterToken.reveal(), Map.of()).statusCode())
                .isEqualTo(401);
        assertThat(post(stop, bearer(clusterToken)).statusCode()).isEqualTo(200);
        Await.until(
                "the run stopping",
                () -> coordinator.runs().run(runId).map(r -> r.state()).orElseThrow()
                        != io.salvo.proto.v1.RunState.RUN_STATE_RUNNING);

        // Prometheus's /metrics sits behind the same rules; the probes' /healthz says nothing and is open.
        assertThat(get(dashboard.url() + "/metrics", Map.of()).statusCode()).isEqualTo(401);
        HttpResponse<String> metrics = get(dashboard.url() + "/metrics", bearer(viewerToken));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        HttpResponse<String> health = get(dashboard.url() + "/healthz", Map.of());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");

        // The page itself holds no data and opens without a token (it reads the token from its URL fragment).
        assertThat(get(dashboard.url() + "/", Map.of()).statusCode()).isEqualTo(200);
        assertThat(get(dashboard.url() + "/assets/uplot.js", Map.of()).statusCode())
                .isEqualTo(200);
        assertThat(dashboard.refusedRequests()).isEqualTo(6);
    }

    @Test
    void otherCoordinatorsDashboardsMayReadCrossOriginOthersMayNot() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        String other = "http://127.0.0.1:1";
        coordinator.cluster().dashboards().set(other, "another-member");
        HttpResponse<String> known = get(dashboard.url() + "/api/runs", Map.of("Origin", other));
        assertThat(known.headers().firstValue("Access-Control-Allow-Origin")).contains(other);
        HttpResponse<String> stranger = get(dashboard.url() + "/api/runs", Map.of("Origin", "http://evil.example"));
        assertThat(stranger.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        JsonObject cluster =
                new JsonObject(get(dashboard.url() + "/api/cluster", Map.of()).body());
        assertThat(cluster.getString("self")).isEqualTo(dashboard.url());
        assertThat(cluster.getJsonArray("dashboards").stream()
                        .map(o -> ((JsonObject) o).getString("url") + " live=" + ((JsonObject) o).getBoolean("live"))
                        .toList())
                .containsExactlyInAnyOrder(dashboard.url() + " live=true", other + " live=false");
    }

    @Test
    void unknownRunsAndBadResumeIdsAreClearErrors() throws Exception {
        DashboardServer dashboard = loopbackDashboard();
        HttpResponse<String> missing = get(dashboard.url() + "/api/runs/no-such-run/events", Map.of());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(missing.body()).getString("error")).isEqualTo("no run with id 'no-such-run'");
        assertThat(get(dashboard.url() + "/api/runs/no-such-run", Map.of()).statusCode())
                .isEqualTo(404);
        assertThat(get(dashboard.url() + "/api/runs/x/events", Map.of("Last-Event-ID", "abc"))
                        .statusCode())
                .isEqualTo(400);
        assertThat(get(dashboard.url() + "/assets/nothing.js", Map.of()).statusCode())
                .isEqualTo(404);
    }

    private static Map<String, String> bearer(ClusterToken token) {
        return Map.of("Authorization", "Bearer " + token.reveal());
    }
}
