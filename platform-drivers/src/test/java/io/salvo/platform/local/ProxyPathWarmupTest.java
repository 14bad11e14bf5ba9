package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformSignals;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProxyPathWarmupTest {

    @Test
    void drivesEveryRequestThroughAThrowAwayRouterAndLeavesNothingBehind() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            long began = System.nanoTime();
            ProxyPathWarmup.run(vertx, Duration.ofSeconds(60));
            System.out.printf(
                    "proxy warm-up: %d requests in %.0f ms%n",
                    ProxyPathWarmup.REQUESTS, (System.nanoTime() - began) / 1e6);
            // the throw-away router and the dummy are gone: only what Vert.x itself keeps remains
            assertThat(vertx.deploymentIDs()).isEmpty();
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDeploymentsGroundTruthStartsEmptyAfterItsWarmUp() throws Exception {
        try (LocalPlatformDriver driver = new LocalPlatformDriver(
                LocalPlatformDriver.Settings.of(LocalProfile.LAMBDA_LIKE, FakeInstances.launcher()))) {
            driver.deploy(new DeploymentSpec("fake", 1, 128, null, null, null, Map.of()));
            PlatformSignals signals = driver.signals();
            assertThat(signals.instances()).isEmpty();
            assertThat(signals.firstRequestAt()).isNull();
            assertThat(signals.firstSuccessAt()).isNull();
        }
    }
}
