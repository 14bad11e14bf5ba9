package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.salvo.benchmark.CoordinatorLoadRunner;
import io.salvo.benchmark.PlatformHeaders;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.UpdateRequestHeadersRequest;
import io.salvo.proto.v1.UpdateRequestHeadersResponse;
import io.salvo.testkit.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request headers renewed during a run, end to end through a real coordinator and two workers (in one JVM, over
 * loopback gRPC and HTTP): a fake platform driver mints a token every 2 s that the target accepts for 4 s only, with
 * a per-body signature over the token and the body (the shape of SigV4), and the CLI's renewal pushes each one to the
 * coordinator. Without renewals, every request after the fourth second would get 403.
 */
class RenewedHeadersEndToEndTest {

    private static final Duration TOKEN_LIFE = Duration.ofSeconds(4);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(2);

    /** Token -> its expiry on the nanoTime clock. */
    private final Map<String, Long> validTokens = new ConcurrentHashMap<>();

    private final Set<String> tokensAccepted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
    private HttpServer target;
    private ExecutorService targetThreads;
    private InJvmCluster cluster;

    static String signature(String token, byte[] body) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(token.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(body));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        target.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            String token = authorization == null ? "" : authorization.replaceFirst("^Bearer ", "");
            Long expiresNanos = validTokens.get(token);
            String why = null;
            if (expiresNanos == null) {
                why = "unknown token";
            } else if (System.nanoTime() > expiresNanos) {
                why = "expired token";
            } else if (!signature(token, body)
                    .equals(exchange.getRequestHeaders().getFirst("X-Body-Signature"))) {
                why = "bad body signature";
            }
            if (why == null) {
                accepted.incrementAndGet();
                tokensAccepted.add(token);
                exchange.sendResponseHeaders(200, -1);
            } else {
                refused.incrementAndGet();
                if (refusals.size() < 5) {
                    refusals.add(why);
                }
                exchange.sendResponseHeaders(403, -1);
            }
            exchange.close();
        });
        targetThreads = Executors.newFixedThreadPool(4);
        target.setExecutor(targetThreads);
        target.start();
        cluster = new InJvmCluster(2);
    }

    @AfterEach
    void stop() {
        cluster.close();
        target.stop(0);
        targetThreads.shutdownNow();
    }

    /** A platform whose credentials live 4 s and are renewed every 2 s; only requestHeaders matters here. */
    private final class RotatingTokenDriver implements PlatformDriver {
        final AtomicLong minted = new AtomicLong();

        @Override
        public RequestHeaders requestHeaders(RunRequests requests) {
            String token = "tok-" + minted.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
            validTokens.put(token, System.nanoTime() + TOKEN_LIFE.toNanos());
            List<Map<String, String>> perBody = new ArrayList<>();
            for (byte[] body : requests.bodies()) {
                perBody.add(Map.of("X-Body-Signature", signature(token, body)));
            }
            return new RequestHeaders(
                    Map.of("Authorization", "Bearer " + token),
                    perBody,
                    java.time.Instant.now().plus(RENEW_EVERY));
        }

        @Override
        public String label() {
            return "rotating-token fake";
        }

        @Override
        public void validate(DeploymentSpec spec) {}

        @Override
        public URI deploy(DeploymentSpec spec) {
            return endpoint();
        }

        @Override
        public URI endpoint() {
            return URI.create("http://127.0.0.1:" + target.getAddress().getPort());
        }

        @Override
        public void awaitReady(Duration timeout) {}

        @Override
        public boolean canForceCold() {
            return false;
        }

        @Override
        public void forceCold() {
            throw new UnsupportedOperationException();
        }

        @Override
        public PlatformSignals signals() {
            return PlatformSignals.none("fake");
        }

        @Override
        public void teardown() {}
    }

    private RunPlan plan() {
        return RunPlan.newBuilder()
                .setName("renewed-headers")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:" + target.getAddress().getPort() + "/v2/models/m/infer")
                        .setMethod("POST")
                        .addHeaders(Header.newBuilder().setName("Content-Type").setValue("application/json"))
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"a\"]}"))
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"b\"]}"))
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"c\"]}")))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(11_000)
                        .setStartRatePerSecond(100)
                        .setEndRatePerSecond(100))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(2)
                .setIntervalMillis(1000)
                .setRequestTimeoutMillis(2_000)
                .setConnectTimeoutMillis(2_000)
                .setMaxInFlightPerWorker(100)
                .setMaxConnectionsPerWorker(20)
                .build();
    }

    private static long count(RunResult result, OutcomeClass outcome) throws Exception {
        long n = 0;
        for (MergedInterval interval : result.getIntervalsList()) {
            for (OutcomeHistograms h : interval.getOutcomesList()) {
                if (h.getOutcome() == outcome) {
                    n += HistogramCodec.decode(h.getLatencyMicros()).getTotalCount();
                }
            }
        }
        return n;
    }

    @Test
    void aRunOutlivingItsCredentialsGetsEveryRenewalAndNoRefusal() throws Exception {
        RotatingTokenDriver driver = new RotatingTokenDriver();
        var control = RunControlGrpc.newBlockingStub(cluster.channel)
                .withCallCredentials(new BearerTokenCredentials(cluster.token));
        ExecutorService meddler = Executors.newSingleThreadExecutor();
        RunResult result;
        PlatformHeaders headers = PlatformHeaders.prepare(plan(), driver);
        try (CoordinatorLoadRunner runner =
                new CoordinatorLoadRunner("127.0.0.1", cluster.server.port(), cluster.token, Duration.ofSeconds(30))) {
            // Mid-run, another client pushes a stale generation with a token the target refuses: it must change
            // nothing (applying it would show as 403s).
            Future<UpdateRequestHeadersResponse> stale = meddler.submit(() -> {
                Await.until("the run's third renewal", Duration.ofSeconds(30), () -> headers.renewals() >= 3);
                return control.updateRequestHeaders(UpdateRequestHeadersRequest.newBuilder()
                        .setRunId(runIdOf(control))
                        .setHeaderSets(RequestHeaderSets.newBuilder()
                                .setGeneration(2)
                                .addShared(Header.newBuilder()
                                        .setName("Authorization")
                                        .setValue("Bearer stale")))
                        .build());
            });
            result = runner.run(headers, snapshot -> {});
            UpdateRequestHeadersResponse staleAnswer = stale.get(30, TimeUnit.SECONDS);
            assertThat(staleAnswer.getApplied()).isFalse();
            assertThat(staleAnswer.getGeneration()).isGreaterThanOrEqualTo(4);
        } finally {
            headers.close();
            meddler.shutdownNow();
        }

        assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
        assertThat(refusals).as("refusals at the target").isEmpty();
        assertThat(count(result, OutcomeClass.OUTCOME_CLASS_4XX)).isZero();
        assertThat(count(result, OutcomeClass.OUTCOME_CLASS_2XX)).isBetween(1_050L, 1_110L);
        // 11 s with a renewal every 2 s: generations 1 to 6 at least, each carried by the workers to the target.
        assertThat(headers.renewals()).isGreaterThanOrEqualTo(4);
        assertThat(tokensAccepted).hasSizeGreaterThanOrEqualTo(5);
        assertThat(result.getPlan().getRequest().hasHeaderSets())
                .as("credentials stay out of the result")
                .isFalse();

        // The API's rules: the cluster token is required, an ended run and an unknown one are refused.
        var anonymous = RunControlGrpc.newBlockingStub(cluster.channel);
        UpdateRequestHeadersRequest late = UpdateRequestHeadersRequest.newBuilder()
                .setRunId(result.getRunId())
                .setHeaderSets(RequestHeaderSets.newBuilder().setGeneration(99))
                .build();
        assertThatThrownBy(() -> anonymous.updateRequestHeaders(late))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThatThrownBy(() -> control.updateRequestHeaders(late))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
        assertThatThrownBy(() -> control.updateRequestHeaders(
                        late.toBuilder().setRunId("run-unknown").build()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    /** The run under way: the one a worker of the cluster is assigned to. */
    private static String runIdOf(RunControlGrpc.RunControlBlockingStub control) {
        return Await.value(
                "the run's id",
                Duration.ofSeconds(10),
                () ->
                        control
                                .listWorkers(io.salvo.proto.v1.ListWorkersRequest.getDefaultInstance())
                                .getWorkersList()
                                .stream()
                                .map(w -> w.getRunId())
                                .filter(id -> !id.isEmpty())
                                .findFirst()
                                .orElse(null));
    }
}
