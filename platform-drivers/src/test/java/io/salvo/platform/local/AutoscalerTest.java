package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AutoscalerTest {

    private static final long MS = 1_000_000;

    @Test
    void scalesFromZeroAtOnceToWhatTheDemandNeeds() {
        Autoscaler scaler = new Autoscaler(new ScalingSettings(2, 0, 3, Duration.ofSeconds(5), Duration.ofSeconds(1)));
        assertThat(scaler.instancesToStart(0, 0, 0)).isZero();
        assertThat(scaler.instancesToStart(0, 5, 0)).isEqualTo(3);
        assertThat(scaler.instancesToStart(0, 100, 0)).isEqualTo(3);
    }

    @Test
    void scalesOutOnlyAfterTheDemandLastedTheDelay() {
        Autoscaler scaler = new Autoscaler(new ScalingSettings(2, 1, 4, Duration.ofMillis(300), Duration.ofSeconds(1)));
        assertThat(scaler.instancesToStart(0, 5, 1)).isZero();
        assertThat(scaler.instancesToStart(200 * MS, 5, 1)).isZero();
        assertThat(scaler.instancesToStart(300 * MS, 5, 1)).isEqualTo(2);
        // a dip resets the clock
        assertThat(scaler.instancesToStart(400 * MS, 9, 3)).isZero();
        assertThat(scaler.instancesToStart(500 * MS, 2, 3)).isZero();
        assertThat(scaler.instancesToStart(600 * MS, 9, 3)).isZero();
        assertThat(scaler.instancesToStart(899 * MS, 9, 3)).isZero();
        assertThat(scaler.instancesToStart(900 * MS, 9, 3)).isEqualTo(1);
    }

    @Test
    void restoresTheMinimumAtOnce() {
        Autoscaler scaler = new Autoscaler(new ScalingSettings(8, 2, 4, Duration.ofSeconds(3), Duration.ofSeconds(30)));
        assertThat(scaler.instancesToStart(0, 0, 0)).isEqualTo(2);
        assertThat(scaler.instancesToStart(0, 0, 1)).isEqualTo(1);
    }

    @Test
    void stopsIdleInstancesOnlyAboveTheMinimumAndAfterTheIdleTimeout() {
        Autoscaler scaler = new Autoscaler(new ScalingSettings(1, 1, 4, Duration.ZERO, Duration.ofMillis(500)));
        assertThat(scaler.shouldStopIdle(499 * MS, 0, 3)).isFalse();
        assertThat(scaler.shouldStopIdle(500 * MS, 0, 3)).isTrue();
        assertThat(scaler.shouldStopIdle(10_000 * MS, 0, 1)).isFalse();
    }
}
