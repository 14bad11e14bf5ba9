package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import org.junit.jupiter.api.Test;

class LocalPlatformDriverTest {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static LocalPlatformDriver driver(LocalProfile profile, ScalingSettings scaling) {
        return new LocalPlatformDriver(LocalPlatformDriver.Settings.of(profile, FakeInstances.launcher())
                .withScaling(scaling)
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30)));
    }

    private static DeploymentSpec fakeSpec(long loadMillis, long serviceMillis) {
        return new DeploymentSpec(
                "fake",
                1,
                128,
                null,
                null,
                null,
                Map.of(
                        "FAKE_MODEL_LOAD_MS",
                        Long.toString(loadMillis),
                        "FAKE_SERVICE_MS",
                        Long.toString(serviceMillis)));
    }

    private static HttpResponse<String> post(URI endpoint) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(endpoint.resolve("/v2/models/fake/infer"))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":[]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void holdsTheFirstRequestUntilAnInstanceIsReadyThenRoutesIt() throws Exception {
        try (LocalPlatformDriver driver =
                driver(LocalProfile.LAMBDA_LIKE, new ScalingSettings(1, 0, 2, Duration.ZERO, Duration.ofSeconds(30)))) {
            URI endpoint = driver.deploy(fakeSpec(600, 10));
            driver.awaitReady(Duration.ofSeconds(5));
            assertThat(driver.signals().instances())
                    .as("scale to zero: nothing runs before the first request")
                    .isEmpty();

            Instant sent = Instant.now();
            HttpResponse<String> response = post(endpoint);
            Instant received = Instant.now();

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Salvo-Instance-Request-Seq"))
                    .contains("1");
            assertThat(response.headers().firstValue("Salvo-Platform-Instance")).contains("local-1");
            InstanceRecord first = driver.instance("local-1");
            assertThat(first.instanceId())
                    .isEqualTo(
                            response.headers().firstValue("Salvo-Instance-Id").orElseThrow());
            assertThat(first.modelLoadMillis()).isEqualTo(600);
            assertThat(first.spawnedAt()).isAfterOrEqualTo(sent);
            assertThat(Duration.between(first.spawnedAt(), first.readyAt()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(600));
            assertThat(first.firstRequestRoutedAt()).isAfterOrEqualTo(first.readyAt());
            assertThat(first.firstReplyAt())
                    .isAfterOrEqualTo(first.firstRequestRoutedAt())
                    .isBeforeOrEqualTo(received);
            assertThat(Duration.between(sent, received)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            // the platform's time to first success spans the hold: from arrival, before the spawn, to the reply
            PlatformSignals signals = driver.signals();
            assertThat(signals.firstRequestAt()).isAfterOrEqualTo(sent).isBeforeOrEqualTo(first.spawnedAt());
            assertThat(signals.firstSuccessAt())
                    .isAfterOrEqualTo(first.firstReplyAt())
                    .isBeforeOrEqualTo(received);
        }
    }

    @Test
    void scalesFromZeroToTheMaximumUnderLoadAndBackToZeroWhenIdle() throws Exception {
        try (LocalPlatformDriver driver = driver(
                LocalProfile.CLOUD_RUN_LIKE,
                new ScalingSettings(2, 0, 3, Duration.ofMillis(200), Duration.ofMillis(800)))) {
            URI endpoint = driver.deploy(fakeSpec(300, 250));
            Set<String> servedBy = ConcurrentHashMap.newKeySet();
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger successes = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(6);
            // 2 clients from the start (one instance serves them), 4 more from +1.2 s (scale-out after the delay)
            long loadStarts = System.nanoTime();
            long surge = loadStarts + TimeUnit.MILLISECONDS.toNanos(1_200);
            Instant surgeAt = Instant.now().plusMillis(1_200);
            // At least 3.2 s of load, and 2 s after the first reply: on a loaded machine the first instance's start
            // alone may take most of the 3.2 s.
            AtomicLong loadEnds = new AtomicLong(loadStarts + TimeUnit.MILLISECONDS.toNanos(3_200));
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                long begin = c < 2 ? loadStarts : surge;
                running.add(clients.submit(() -> {
                    while (System.nanoTime() < begin) {
                        Thread.sleep(5);
                    }
                    while (System.nanoTime() < loadEnds.get()) {
                        try {
                            HttpResponse<String> r = post(endpoint);
                            if (r.statusCode() == 200) {
                                if (successes.getAndIncrement() == 0) {
                                    long extended = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                                    loadEnds.accumulateAndGet(extended, Math::max);
                                }
                                servedBy.add(r.headers()
                                        .firstValue("Salvo-Instance-Id")
                                        .orElseThrow());
                            } else {
                                failures.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            clients.shutdown();
            assertThat(failures).hasValue(0);
            assertThat(successes.get()).isGreaterThan(10);

            Await.until("scaled back to zero", Duration.ofSeconds(15), () -> {
                List<InstanceCountSample> counts = driver.signals().instanceCounts();
                return driver.signals().instances().stream().allMatch(i -> i.stoppedAt() != null)
                        && counts.get(counts.size() - 1).total() == 0;
            });
            PlatformSignals signals = driver.signals();
            assertThat(signals.source()).contains("emulation");
            // 6 concurrent clients at 2 per instance need 3 instances, the maximum
            assertThat(signals.instanceCounts())
                    .extracting(InstanceCountSample::ready)
                    .contains(3);
            assertThat(signals.instanceCounts())
                    .allSatisfy(s -> assertThat(s.total()).isLessThanOrEqualTo(3));
            assertThat(signals.instances()).hasSize(3);
            for (InstanceRecord i : signals.instances()) {
                assertThat(i.readyAt()).isAfterOrEqualTo(i.spawnedAt());
                assertThat(i.firstRequestRoutedAt()).isAfterOrEqualTo(i.readyAt());
                assertThat(i.firstReplyAt()).isAfterOrEqualTo(i.firstRequestRoutedAt());
                assertThat(i.stoppedAt()).isAfterOrEqualTo(i.firstReplyAt());
                assertThat(i.stopReason()).startsWith("idle");
            }
            // ground truth and responses agree on which instances served
            assertThat(signals.instances())
                    .extracting(InstanceRecord::instanceId)
                    .containsExactlyInAnyOrderElementsOf(servedBy);
            // from zero, 2 clients need one instance at once; the surge to 6 adds two only after the 200 ms delay
            assertThat(signals.instances().get(0).spawnedAt()).isBefore(surgeAt);
            assertThat(signals.instances().subList(1, 3))
                    .allSatisfy(i -> assertThat(Duration.between(surgeAt, i.spawnedAt()))
                            .isGreaterThanOrEqualTo(Duration.ofMillis(180)));
        }
    }

    @Test
    void keepsTheMinimumAndForceColdReplacesEveryInstanceWithAFreshOne() throws Exception {
        try (LocalPlatformDriver driver = driver(
                LocalProfile.K8S_LIKE, new ScalingSettings(8, 1, 2, Duration.ofSeconds(3), Duration.ofMillis(100)))) {
            URI endpoint = driver.deploy(fakeSpec(200, 5));
            driver.awaitReady(Duration.ofSeconds(20));
            assertThat(post(endpoint).statusCode()).isEqualTo(200);
            Thread.sleep(300); // longer than the idle timeout: the minimum must stay
            assertThat(driver.signals().instances())
                    .singleElement()
                    .satisfies(i -> assertThat(i.stoppedAt()).isNull());

            driver.forceCold();
            assertThat(driver.instance("local-1").stopReason()).isEqualTo("forced cold");
            assertThat(driver.signals().firstRequestAt())
                    .as("a forced cold start restarts the TTFR clock")
                    .isNull();
            driver.awaitReady(Duration.ofSeconds(20));
            HttpResponse<String> afterCold = post(endpoint);
            assertThat(afterCold.headers().firstValue("Salvo-Platform-Instance"))
                    .contains("local-2");
            assertThat(afterCold.headers().firstValue("Salvo-Instance-Request-Seq"))
                    .contains("1");
            assertThat(driver.signals().firstSuccessAt())
                    .isAfter(driver.signals().firstRequestAt());
        }
    }

    @Test
    void validationListsEveryViolationBeforeStartingAnything() {
        LocalPlatformDriver driver = new LocalPlatformDriver(LocalPlatformDriver.Settings.of(
                LocalProfile.LAMBDA_LIKE,
                JavaMainLauncher.forJar(Path.of("/nonexistent/salvo-model-server.jar"), List.of())));
        DeploymentSpec spec = new DeploymentSpec("minilm", 64, 32, null, 100, 1, Map.of());
        assertThatThrownBy(() -> driver.deploy(spec))
                .isInstanceOf(PlatformLimitException.class)
                .hasMessageContaining("CPUs per instance")
                .hasMessageContaining("at least 64 MiB")
                .hasMessageContaining("at most 32 instances")
                .hasMessageContaining("/nonexistent/salvo-model-server.jar does not exist");
        assertThatThrownBy(() -> driver.validate(DeploymentSpec.of("minilm").withScaling(3, 2, 1)))
                .isInstanceOf(PlatformLimitException.class)
                .hasMessageContaining("min <= max");
        assertThatThrownBy(driver::endpoint).isInstanceOf(IllegalStateException.class);
        assertThat(driver.signals().instances()).isEmpty();
    }

    @Test
    void profilesAreLabelledAsEmulations() {
        for (LocalProfile profile : LocalProfile.values()) {
            assertThat(profile.label()).contains("emulation");
        }
        assertThat(LocalProfile.LAMBDA_LIKE.defaultScaling().concurrency()).isEqualTo(1);
        assertThat(LocalProfile.CLOUD_RUN_LIKE.defaultScaling().concurrency()).isEqualTo(80);
        assertThat(LocalProfile.K8S_LIKE.defaultScaling().minInstances()).isEqualTo(1);
        assertThat(LocalProfile.K8S_LIKE.defaultScaling().scaleOutDelay()).isPositive();
    }
}
