package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.HeaderSet;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestHeadersUpdate;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.proto.v1.WorkerMessage.BodyCase;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Header sets replaced during a run, through the worker's real link and engine against a loopback target that records
 * the headers of every request it receives.
 */
class RequestHeadersUpdateTest {

    /** One request as the target saw it. */
    record Seen(long atNanos, String body, List<String> tokens, List<String> signatures) {}

    private final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    private HttpServer target;
    private ExecutorService targetThreads;
    private FakeCoordinator coordinator;
    private WorkerAgent agent;

    @BeforeEach
    void start() throws IOException {
        target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        target.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(
                    System.nanoTime(),
                    body,
                    exchange.getRequestHeaders().getOrDefault("X-Token", List.of()),
                    exchange.getRequestHeaders().getOrDefault("X-Signature", List.of())));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        targetThreads = Executors.newFixedThreadPool(4);
        target.setExecutor(targetThreads);
        target.start();
        coordinator = new FakeCoordinator(0);
        agent = WorkerAgent.start(new WorkerOptions(List.of(coordinator.address()), "worker-headers", "eu-test-1", 3, 2)
                .withWarmupRequests(300));
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
        coordinator.close();
        target.stop(0);
        targetThreads.shutdownNow();
    }

    /** Generation {@code g}: token {@code t<g>}, and per body a signature {@code <body>-<g>}. */
    private static RequestHeaderSets generation(long g, String suffix) {
        return RequestHeaderSets.newBuilder()
                .setGeneration(g)
                .addShared(header("X-Token", "t" + g + suffix))
                .addPerBody(HeaderSet.newBuilder().addHeaders(header("X-Signature", "a-" + g + suffix)))
                .addPerBody(HeaderSet.newBuilder().addHeaders(header("X-Signature", "b-" + g + suffix)))
                .build();
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }

    private static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private CoordinatorMessage update(RequestHeaderSets sets) {
        return CoordinatorMessage.newBuilder()
                .setRequestHeadersUpdate(
                        RequestHeadersUpdate.newBuilder().setRunId("run-h").setHeaderSets(sets))
                .build();
    }

    @Test
    void aHigherGenerationSwapsTheEncodedRequestsAndALowerOrEqualOneIsIgnored() throws Exception {
        coordinator.next(BodyCase.HELLO, 10);
        Assignment assignment = Assignment.newBuilder()
                .setRunId("run-h")
                .setEpoch(1)
                .setPlan(RunPlan.newBuilder()
                        .setName("headers-test")
                        .setRequest(RequestTemplate.newBuilder()
                                .setUrl("http://127.0.0.1:"
                                        + target.getAddress().getPort() + "/")
                                .setMethod("POST")
                                // replaced by every generation's shared X-Token: it must never reach the target
                                .addHeaders(header("X-Token", "from-the-plan"))
                                .addBodies(ByteString.copyFromUtf8("a"))
                                .addBodies(ByteString.copyFromUtf8("b"))
                                .setHeaderSets(generation(1, "")))
                        .addPhases(Phase.newBuilder()
                                .setDurationMillis(4_000)
                                .setStartRatePerSecond(100)
                                .setEndRatePerSecond(100))
                        .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                        .setIntervalMillis(500)
                        .setRequestTimeoutMillis(2_000))
                .setSlice(Slice.newBuilder().setSegmentStart(0).setSegmentEnd(1).setTotalWeight(1))
                .setStartCoordinatorUnixNanos(unixNanos() + 200_000_000L)
                .build();
        coordinator.send(
                CoordinatorMessage.newBuilder().setAssignment(assignment).build());
        Await.until("requests with generation 1", Duration.ofSeconds(20), () -> seen.size() >= 50);

        long updateSentNanos = System.nanoTime();
        coordinator.send(update(generation(3, "")));
        // A lower generation delivered late, and the same generation again with other values: both ignored.
        coordinator.send(update(generation(2, "")));
        coordinator.send(update(generation(3, "-repeated")));
        // A re-sent assignment with an older generation in its plan must not roll the headers back either.
        coordinator.send(
                CoordinatorMessage.newBuilder().setAssignment(assignment).build());
        Await.until(
                "the run's finished event",
                Duration.ofSeconds(30),
                () -> coordinator.received.stream()
                        .anyMatch(m -> m.hasEvent() && m.getEvent().hasFinished()));

        List<Seen> all = List.copyOf(seen);
        assertThat(all).hasSizeGreaterThan(300);
        for (Seen request : all) {
            assertThat(request.tokens()).as("one X-Token per request").hasSize(1);
            assertThat(request.signatures()).as("one X-Signature per request").hasSize(1);
            String generation = request.tokens().get(0).substring(1);
            assertThat(request.signatures().get(0))
                    .as("the signature matches the body and the token's generation")
                    .isEqualTo(request.body() + "-" + generation);
        }
        assertThat(all).extracting(s -> s.tokens().get(0)).containsOnly("t1", "t3");
        Seen firstNew = all.stream()
                .filter(s -> s.tokens().get(0).equals("t3"))
                .findFirst()
                .orElseThrow();
        assertThat(firstNew.atNanos()).isGreaterThan(updateSentNanos);
        // Requests written before the swap may still arrive just after the first new one (other lanes,
        // connections); 300 ms later every request carries the new generation.
        List<Seen> settled = all.stream()
                .filter(s -> s.atNanos() > firstNew.atNanos() + 300_000_000L)
                .toList();
        assertThat(settled).hasSizeGreaterThan(100);
        assertThat(settled).extracting(s -> s.tokens().get(0)).containsOnly("t3");
        assertThat(coordinator.received.stream().filter(WorkerMessage::hasEvent))
                .as("no warning: every update was well formed")
                .noneMatch(m -> m.getEvent().hasWarning());
    }
}
