package io.salvo.coordinator.http;

import com.hazelcast.map.listener.EntryAddedListener;
import io.grpc.StatusException;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.cluster.RunRecord;
import io.salvo.coordinator.metrics.MetricsFeed;
import io.salvo.coordinator.metrics.PrometheusMetrics;
import io.salvo.coordinator.run.RunManager;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.coordinator.server.SnapshotFeeds;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The coordinator's live dashboard over HTTP: the page and its assets, the JSON API and one Server-Sent Events stream
 * per watched run. Started beside a {@link CoordinatorServer} (the CLI does it for {@code salvo coordinator} and the
 * embedded coordinator of {@code salvo run}); it publishes its URL in the cluster's {@code salvo.dashboards} map so
 * that a page can fail over to another coordinator, which may then answer it (CORS) for the same run.
 *
 * <pre>
 * GET  /                              the run list page;  /runs/{id}  a run's page
 * GET  /assets/{name}                 the page's script and style, uPlot
 * GET  /api/cluster                   this coordinator's dashboard URL and every coordinator's
 * GET  /api/runs                      every run the cluster knows, newest first
 * GET  /api/runs/{id}                 one run: plan summary, re-slices, takeovers
 * GET  /api/runs/{id}/events          text/event-stream: "interval" per shown interval, then "end"
 * GET  /api/runs/{id}/distribution    the exact latency percentile distribution of the run so far
 * GET  /api/runs/{id}/workers         per worker and per region: latest rate, scheduler lag, clock offset, last report
 * POST /api/runs/{id}/stop            stops the run (cluster token only)
 * </pre>
 */
public final class DashboardServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DashboardServer.class.getName());

    private final Vertx vertx;
    private final HttpServer http;
    private final CoordinatorCluster cluster;
    private final RunManager runs;
    private final SnapshotFeeds feeds;
    private final RunTables tables;
    private final DashboardAuth auth;
    private final String url;
    private final Map<String, RunDistribution> distributions = new ConcurrentHashMap<>();
    private final PrometheusMetrics metrics = new PrometheusMetrics();
    private final MetricsFeed metricsFeed;

    private DashboardServer(CoordinatorServer coordinator, DashboardSettings settings, boolean openForReading)
            throws IOException {
        this.cluster = coordinator.cluster();
        this.runs = coordinator.runs();
        this.feeds = coordinator.snapshotFeeds();
        this.tables = new RunTables(cluster);
        this.auth = new DashboardAuth(openForReading, settings.clusterToken(), settings.viewerToken());
        this.metricsFeed = MetricsFeed.attach(cluster, feeds, metrics);
        // Two event loops are plenty for a handful of viewers; blocking cluster reads go to Vert.x's worker pool.
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(4));
        try {
            Router router = router();
            this.http = await(vertx.createHttpServer(new HttpServerOptions()
                                    .setHost(settings.bindHost())
                                    .setPort(settings.port()))
                            .requestHandler(router)
                            .listen())
                    .orElseThrow();
        } catch (IOException | RuntimeException e) {
            metricsFeed.close();
            vertx.close();
            throw e;
        }
        this.url = "http://" + hostForUrl(advertisedHost(settings)) + ":" + http.actualPort();
        cluster.dashboards().set(url, cluster.memberId());
        cluster.archivedRuns()
                .addEntryListener((EntryAddedListener<String, Long>) e -> distributions.remove(e.getKey()), false);
    }

    /** Starts listening; the port is taken when this returns. */
    public static DashboardServer start(CoordinatorServer coordinator, DashboardSettings settings) throws IOException {
        return new DashboardServer(coordinator, settings, isLoopback(settings.bindHost()));
    }

    /** For tests: the rules of a dashboard bound off loopback, on loopback (tests use no other network). */
    static DashboardServer startRequiringTokens(CoordinatorServer coordinator, DashboardSettings settings)
            throws IOException {
        return new DashboardServer(coordinator, settings, false);
    }

    /** The URL other machines use for this dashboard (the bind address, or the advertised one). */
    public String url() {
        return url;
    }

    public int port() {
        return http.actualPort();
    }

    /** API requests refused for a missing or wrong token. */
    public long refusedRequests() {
        return auth.refused();
    }

    private Router router() {
        Router router = Router.router(vertx);
        DashboardPage page = DashboardPage.get();
        // The page shell and its assets hold no run data and are open: a browser cannot send a header when it
        // navigates, so the page takes the token from its URL fragment (never sent) and sends it with each API call.
        router.get("/").handler(ctx -> html(ctx, page.html));
        router.get("/runs/:id").handler(ctx -> html(ctx, page.html));
        router.get("/assets/:name").handler(ctx -> {
            DashboardPage.Asset asset = page.assets.get(ctx.pathParam("name"));
            if (asset == null) {
                ctx.fail(404);
                return;
            }
            ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, asset.contentType())
                    .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .end(asset.content());
        });
        // For probes: says only that this process serves HTTP, so it needs no token.
        router.get("/healthz")
                .handler(ctx -> ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                        .end("ok\n"));
        router.route().handler(this::cors);
        router.route().handler(auth);
        // The merged live metrics of every run in the cluster, whichever coordinator leads it; a scraper off
        // loopback sends the viewer token as a bearer token (Prometheus: authorization.credentials_file).
        router.get("/metrics")
                .handler(ctx -> vertx.executeBlocking(metrics::scrape, false)
                        .onSuccess(body -> ctx.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, PrometheusMetrics.contentType())
                                .end(Buffer.buffer(body)))
                        .onFailure(ctx::fail));
        router.get("/api/cluster").handler(ctx -> json(ctx, this::clusterJson));
        router.get("/api/runs").handler(ctx -> json(ctx, tables::runs));
        router.get("/api/runs/:id")
                .handler(ctx -> json(ctx, () -> {
                    RunRecord r = tables.record(ctx.pathParam("id"));
                    return r == null ? null : tables.detail(r);
                }));
        router.get("/api/runs/:id/workers")
                .handler(ctx -> json(ctx, () -> {
                    RunRecord r = tables.record(ctx.pathParam("id"));
                    return r == null ? null : tables.workersAndRegions(r);
                }));
        router.get("/api/runs/:id/distribution")
                .handler(ctx -> json(ctx, () -> {
                    RunRecord r = tables.record(ctx.pathParam("id"));
                    return r == null ? null : distribution(r.runId()).json();
                }));
        router.get("/api/runs/:id/events").handler(this::events);
        router.post("/api/runs/:id/stop")
                .handler(ctx -> json(ctx, () -> {
                    String runId = ctx.pathParam("id");
                    if (tables.record(runId) == null) {
                        return null;
                    }
                    runs.stop(runId, "stopped from the dashboard");
                    return new JsonObject().put("run_id", runId).put("stop_requested", true);
                }));
        return router;
    }

    private RunDistribution distribution(String runId) {
        RunDistribution existing = distributions.get(runId);
        if (existing != null) {
            return existing;
        }
        RunDistribution created = new RunDistribution(runId);
        RunDistribution raced = distributions.putIfAbsent(runId, created);
        if (raced != null) {
            return raced;
        }
        if (!runs.archived(runId)) {
            Runnable unused = feeds.watch(runId, created);
        }
        return created;
    }

    private void events(RoutingContext ctx) {
        String runId = ctx.pathParam("id");
        long resumeAfter = resumeAfter(ctx);
        if (resumeAfter == Long.MIN_VALUE) {
            error(ctx, 400, "Last-Event-ID must be an event id this stream sent (a sequence number)");
            return;
        }
        vertx.executeBlocking(() -> Optional.ofNullable(tables.record(runId))).onComplete(found -> {
            if (found.failed()) {
                fail(ctx, found.cause());
                return;
            }
            if (found.result().isEmpty()) {
                error(ctx, 404, "no run with id '" + shorten(runId) + "'");
                return;
            }
            SnapshotStream stream = SnapshotStream.begin(vertx, ctx.response(), resumeAfter);
            vertx.executeBlocking(() -> {
                        if (runs.archived(runId)) {
                            stream.endWith(archivedEnd(runId));
                        } else {
                            stream.attach(feeds, runId);
                        }
                        return null;
                    })
                    .onFailure(e -> {
                        LOG.log(Level.WARNING, "dashboard: cannot follow run " + runId, e);
                        ctx.response().reset();
                    });
        });
    }

    /** The end of a run whose snapshots were archived, from its stored result. */
    private JsonObject archivedEnd(String runId) throws StatusException {
        RunResult result = runs.result(runId).orElseThrow();
        LiveSnapshot end = LiveSnapshot.newBuilder()
                .setRunId(runId)
                .setState(result.getState())
                .setMessage(result.getMessage())
                .build();
        return SnapshotJson.end(result.getIntervalsCount(), end, result.getIntervalsCount());
    }

    /** The id after which to resume: Last-Event-ID (EventSource's reconnect), or the page's own after a fail-over. */
    private static long resumeAfter(RoutingContext ctx) {
        String given = ctx.request().getHeader("Last-Event-ID");
        if (given == null || given.isBlank()) {
            given = ctx.request().getParam("last_event_id");
        }
        if (given == null || given.isBlank()) {
            return -1;
        }
        try {
            long id = Long.parseLong(given.trim());
            return id < -1 ? Long.MIN_VALUE : id;
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    private JsonObject clusterJson() {
        JsonArray dashboards = new JsonArray();
        String leader = cluster.leaderMemberId();
        java.util.Set<String> members = cluster.memberIds();
        for (Map.Entry<String, String> e : cluster.dashboards().entrySet()) {
            String member = e.getValue();
            dashboards.add(new JsonObject()
                    .put("url", e.getKey())
                    .put("member_id", member)
                    .put("live", members.contains(member))
                    .put("leader", member.equals(leader))
                    .put("self", member.equals(cluster.memberId())));
        }
        return new JsonObject().put("self", url).put("dashboards", dashboards);
    }

    /**
     * Cross-origin reads from the other coordinators' dashboards, so a page can follow its run to another coordinator
     * when its own dies. Only those origins: a page elsewhere cannot read the API with a visitor's browser.
     */
    private void cors(RoutingContext ctx) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null || origin.equals(url)) {
            ctx.next();
            return;
        }
        vertx.executeBlocking(() -> cluster.dashboards().containsKey(origin)).onComplete(known -> {
            if (known.succeeded() && known.result()) {
                ctx.response()
                        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                        .putHeader(HttpHeaders.VARY, "Origin");
                if (HttpMethod.OPTIONS.equals(ctx.request().method())) {
                    ctx.response()
                            .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST")
                            .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Last-Event-ID")
                            .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
                            .setStatusCode(204)
                            .end();
                    return;
                }
            }
            ctx.next();
        });
    }

    /** Answers with the JSON {@code body} computes off the event loop (it reads the cluster); null means not found. */
    private void json(RoutingContext ctx, Callable<Object> body) {
        vertx.executeBlocking(body).onComplete(done -> {
            if (done.failed()) {
                fail(ctx, done.cause());
            } else if (done.result() == null) {
                error(ctx, 404, "no run with id '" + shorten(String.valueOf(ctx.pathParam("id"))) + "'");
            } else {
                Object value = done.result();
                ctx.response()
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                        .end(value instanceof JsonArray a ? a.encode() : ((JsonObject) value).encode());
            }
        });
    }

    private static void fail(RoutingContext ctx, Throwable cause) {
        if (cause instanceof StatusException s) {
            error(ctx, 500, String.valueOf(s.getStatus().getDescription()));
            return;
        }
        LOG.log(
                Level.WARNING,
                "dashboard: " + ctx.request().method() + " " + ctx.request().path() + " failed",
                cause);
        error(ctx, 500, "internal error: " + cause.getClass().getSimpleName());
    }

    private static void error(RoutingContext ctx, int status, String message) {
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", message).encode());
    }

    private static void html(RoutingContext ctx, String html) {
        ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                .putHeader("Referrer-Policy", "no-referrer")
                .end(html);
    }

    private static String shorten(String runId) {
        return runId.length() > 100 ? runId.substring(0, 100) + "..." : runId;
    }

    private String advertisedHost(DashboardSettings settings) throws IOException {
        if (settings.advertisedHost() != null) {
            return settings.advertisedHost();
        }
        InetAddress bind = InetAddress.getByName(settings.bindHost());
        return bind.isAnyLocalAddress() ? cluster.address().getHostString() : settings.bindHost();
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static <T> Optional<T> await(Future<T> future) throws IOException {
        try {
            return Optional.ofNullable(
                    future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the dashboard did not start within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the dashboard", e);
        }
    }

    @Override
    public void close() {
        metricsFeed.close();
        // The entry in salvo.dashboards stays: pages loaded from here may be following a run from another coordinator.
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.FINE, "dashboard: Vert.x did not close cleanly", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
