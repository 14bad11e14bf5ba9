package io.salvo.core.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.salvo.proto.v1.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateProfileTest {

    private static Phase phase(long millis, double start, double end, int steps) {
        return Phase.newBuilder()
                .setDurationMillis(millis)
                .setStartRatePerSecond(start)
                .setEndRatePerSecond(end)
                .setSteps(steps)
                .build();
    }

    @Test
    void constantRateIntegratesLinearly() {
        RateProfile profile = RateProfile.constant(200, 3000);
        assertThat(profile.durationNanos()).isEqualTo(3_000_000_000L);
        assertThat(profile.totalCount()).isEqualTo(600.0);
        assertThat(profile.rate(1_500_000_000L)).isEqualTo(200.0);
        assertThat(profile.timeOfCount(1)).isEqualTo(5_000_000L);
        assertThat(profile.timeOfCount(599)).isEqualTo(2_995_000_000L);
        assertThat(profile.expectedCount(1_000_000_000L, 2_000_000_000L)).isCloseTo(200.0, within(1e-9));
    }

    @Test
    void rampFromZeroHasQuadraticCumulativeAndExactInverse() {
        // 0 -> 100 req/s over 10 s: Λ(t) = 5 t², total 500
        RateProfile profile = RateProfile.of(List.of(phase(10_000, 0, 100, 0)));
        assertThat(profile.totalCount()).isCloseTo(500.0, within(1e-9));
        assertThat(profile.cumulative(2_000_000_000L)).isCloseTo(20.0, within(1e-9));
        assertThat(profile.timeOfCount(20)).isEqualTo(2_000_000_000L);
        assertInverseWithinOneNano(profile);
    }

    @Test
    void fallingRampAndMixedPhasesInvertToTheNanosecond() {
        RateProfile profile = RateProfile.of(List.of(
                phase(2_000, 50, 50, 0), phase(3_000, 300, 20, 0), phase(1_000, 0, 0, 0), phase(4_000, 10, 250, 0)));
        assertInverseWithinOneNano(profile);
        // the idle phase adds nothing: the first request after it is intended after 6 s
        double atIdleStart = profile.cumulative(5_000_000_000L);
        assertThat(profile.cumulative(6_000_000_000L)).isCloseTo(atIdleStart, within(1e-9));
        assertThat(profile.timeOfCount(Math.floor(atIdleStart) + 1)).isGreaterThan(6_000_000_000L);
    }

    @Test
    void stepsAreEvenlySpacedConstantLevelsIncludingBothEnds() {
        RateProfile profile = RateProfile.of(List.of(phase(4_000, 100, 400, 4)));
        assertThat(profile.rate(500_000_000L)).isEqualTo(100.0);
        assertThat(profile.rate(1_500_000_000L)).isEqualTo(200.0);
        assertThat(profile.rate(2_500_000_000L)).isEqualTo(300.0);
        assertThat(profile.rate(3_500_000_000L)).isEqualTo(400.0);
        assertThat(profile.totalCount()).isCloseTo(1000.0, within(1e-9));
        assertThat(profile.timeOfCount(150)).isEqualTo(1_250_000_000L);
        assertInverseWithinOneNano(profile);
    }

    private static void assertInverseWithinOneNano(RateProfile profile) {
        long step = profile.durationNanos() / 997;
        for (long t = 0; t < profile.durationNanos(); t += step) {
            if (profile.rate(t) == 0) {
                continue; // Λ is flat there; its inverse returns the start of the flat stretch
            }
            double u = profile.cumulative(t);
            assertThat(profile.exactTimeOfCount(u)).as("Λ⁻¹(Λ(%d))", t).isCloseTo((double) t, within(1.0));
        }
        for (double u = 0.5; u < profile.totalCount(); u += profile.totalCount() / 1013) {
            long t = profile.timeOfCount(u);
            // Λ(t) is within the count of one nanosecond at the local rate of u
            double tolerance = Math.max(profile.rate(t), profile.rate(Math.max(0, t - 1))) * 1e-9 + 1e-9;
            assertThat(profile.cumulative(t)).as("Λ(Λ⁻¹(%s))", u).isCloseTo(u, within(tolerance));
        }
    }
}
