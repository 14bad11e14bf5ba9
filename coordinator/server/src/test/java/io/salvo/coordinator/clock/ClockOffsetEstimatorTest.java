package io.salvo.coordinator.clock;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Simulated probes: a worker clock 3.2 ms ahead, asymmetric and jittery network delays. */
class ClockOffsetEstimatorTest {

    private static final long TRUE_OFFSET = 3_200_000;

    @Test
    void symmetricDelayGivesTheExactOffset() {
        ClockOffsetEstimator estimator = new ClockOffsetEstimator();
        long t0 = 1_000_000_000_000L;
        long oneWay = 150_000;
        long processing = 20_000;
        estimator.addSample(
                t0, t0 + oneWay + TRUE_OFFSET, t0 + oneWay + processing + TRUE_OFFSET, t0 + 2 * oneWay + processing);
        assertThat(estimator.offsetNanos()).isEqualTo(TRUE_OFFSET);
        assertThat(estimator.roundTripNanos()).isEqualTo(2 * oneWay);
    }

    @Test
    void theLeastDelayedSampleWinsAndBoundsTheError() {
        SplittableRandom random = new SplittableRandom(20261127L);
        ClockOffsetEstimator estimator = new ClockOffsetEstimator();
        long t0 = 5_000_000_000_000L;
        for (int i = 0; i < 50; i++) {
            long out = 50_000 + random.nextLong(2_000_000); // queuing makes delays long-tailed and asymmetric
            long back = 50_000 + random.nextLong(2_000_000);
            long processing = random.nextLong(100_000);
            long t1 = t0 + out + TRUE_OFFSET;
            long t2 = t1 + processing;
            long t3 = t0 + out + processing + back;
            estimator.addSample(t0, t1, t2, t3);
            t0 += 100_000_000;
        }
        assertThat(estimator.samples()).isEqualTo(50);
        assertThat(Math.abs(estimator.offsetNanos() - TRUE_OFFSET)).isLessThanOrEqualTo(estimator.roundTripNanos() / 2);
        assertThat(estimator.roundTripNanos()).isLessThan(1_000_000);
    }

    @Test
    void noSamplesMeansNoEstimate() {
        ClockOffsetEstimator estimator = new ClockOffsetEstimator();
        assertThat(estimator.hasEstimate()).isFalse();
        assertThat(estimator.offsetNanos()).isZero();
        estimator.addSample(10, 5, 100, 20); // negative round trip: a clock stepped, ignored
        assertThat(estimator.hasEstimate()).isFalse();
    }
}
