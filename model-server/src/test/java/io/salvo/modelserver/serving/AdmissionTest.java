package io.salvo.modelserver.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.modelserver.TestModels;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.testkit.Await;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Overload, timeouts and readiness, made deterministic by holding the model load on a latch: while it is held every
 * admitted inference waits, so slots and queue places stay occupied exactly as long as the test wants.
 */
class AdmissionTest {

    private static final String MODEL = "tiny-bert-shape";
    private static final String PREDICT = "/v2/models/" + MODEL + "/predict";

    private static ModelSource heldUntil(CountDownLatch release, ServerConfig config) {
        ModelSource real = ModelSource.fromConfig(config);
        return () -> {
            assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
            return real.load();
        };
    }

    @Test
    void beyondMaxConcurrentPlusQueueIs503WithRetryAfterAndQueuedWorkCompletesAfterLoad() throws Exception {
        TestModels.prepared(MODEL);
        ServerConfig config =
                TestModels.config(MODEL, Map.of("SALVO_MAX_CONCURRENT", "1", "SALVO_QUEUE_CAPACITY", "1"));
        CountDownLatch release = new CountDownLatch(1);
        try (TestModels.RunningServer server = TestModels.start(config, heldUntil(release, config), false)) {
            HttpResponse<String> notReady = TestModels.get(server.url("/v2/health/ready"));
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("model is loading");
            assertThat(TestModels.get(server.url("/v2/health/live")).statusCode())
                    .isEqualTo(200);
            assertThat(TestModels.get(server.url("/v2/models/" + MODEL)).statusCode())
                    .isEqualTo(503);

            // one request takes the only slot, one takes the only queue place
            CompletableFuture<HttpResponse<String>> running =
                    CompletableFuture.supplyAsync(() -> post(server, "{\"inputs\":[\"first\"]}"));
            awaitInFlight(server, 1);
            CompletableFuture<HttpResponse<String>> queued =
                    CompletableFuture.supplyAsync(() -> post(server, "{\"inputs\":[\"second\"]}"));
            awaitInFlight(server, 2);

            HttpResponse<String> rejected = TestModels.post(server.url(PREDICT), "{\"inputs\":[\"third\"]}");
            assertThat(rejected.statusCode()).isEqualTo(503);
            assertThat(rejected.headers().firstValue("Retry-After")).contains("1");
            assertThat(rejected.body()).contains("overloaded: 1 inferences running and 1 waiting");
            assertThat(rejected.headers().firstValue("Salvo-Instance-Request-Seq"))
                    .contains("3");

            release.countDown();
            assertThat(running.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(queued.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(TestModels.get(server.url("/v2/health/ready")).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void requestsPastTheTimeoutGet503() throws Exception {
        TestModels.prepared(MODEL);
        ServerConfig config = TestModels.config(MODEL, Map.of("SALVO_REQUEST_TIMEOUT_MS", "300"));
        CountDownLatch release = new CountDownLatch(1);
        try (TestModels.RunningServer server = TestModels.start(config, heldUntil(release, config), false)) {
            long start = System.nanoTime();
            HttpResponse<String> timedOut = TestModels.post(server.url(PREDICT), "{\"inputs\":[\"slow\"]}");
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(timedOut.statusCode()).isEqualTo(503);
            assertThat(timedOut.headers().firstValue("Retry-After")).isPresent();
            assertThat(timedOut.body()).contains("timed out after 300 ms");
            assertThat(elapsedMillis).isBetween(250L, 5_000L);
            release.countDown();
            server.core().loaded().get(30, TimeUnit.SECONDS);
            assertThat(TestModels.post(server.url(PREDICT), "{\"inputs\":[\"fast\"]}")
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    private static HttpResponse<String> post(TestModels.RunningServer server, String body) {
        try {
            return TestModels.post(server.url(PREDICT), body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bounded wait until the server has admitted {@code count} inference requests (read from its metrics). */
    private static void awaitInFlight(TestModels.RunningServer server, int count) {
        String line = "salvo_inflight_requests{model=\"" + MODEL + "\"} " + count + ".0";
        Await.until("the server has " + count + " requests in flight", Duration.ofSeconds(10), () -> {
            try {
                return TestModels.get(server.url("/metrics")).body().contains(line);
            } catch (Exception e) {
                throw new AssertionError("metrics unreadable", e);
            }
        });
    }
}
