package io.salvo.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.histogram.HistogramSpec;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class QuantileBoundsTest {

    private static long equivalent(long micros) {
        return HistogramSpec.newHistogram().highestEquivalentValue(micros);
    }

    @Test
    void manySamplesGiveANarrowIntervalAroundTheEstimate() {
        Histogram h = HistogramSpec.newHistogram();
        for (long v = 1; v <= 10_000; v++) {
            h.recordValue(v);
        }
        QuantileBounds p95 = QuantileBounds.of(h, 0.95);
        assertThat(p95.estimate()).isEqualTo(equivalent(9_500));
        // ranks 9500 -/+ 2.576 * sqrt(10000 * 0.95 * 0.05) = 56.1 -> 9443 .. 9558
        assertThat(p95.low()).isEqualTo(equivalent(9_443));
        assertThat(p95.high()).isEqualTo(equivalent(9_558));
    }

    @Test
    void fewSamplesGiveAWideIntervalClampedToTheSample() {
        Histogram h = HistogramSpec.newHistogram();
        for (long ms = 1; ms <= 20; ms++) {
            h.recordValue(ms * 1_000);
        }
        QuantileBounds p95 = QuantileBounds.of(h, 0.95);
        // centre 19, spread 2.576 * sqrt(19 * 0.05) = 2.51: ranks 16 .. 23, clamped to 20
        assertThat(p95.estimate()).isEqualTo(equivalent(19_000));
        assertThat(p95.low()).isEqualTo(equivalent(16_000));
        assertThat(p95.high()).isEqualTo(equivalent(20_000));
    }

    @Test
    void oneSampleIsItsOwnInterval() {
        Histogram h = HistogramSpec.newHistogram();
        h.recordValue(4_200);
        QuantileBounds p95 = QuantileBounds.of(h, 0.95);
        assertThat(p95.low()).isEqualTo(p95.estimate()).isEqualTo(p95.high()).isEqualTo(equivalent(4_200));
    }
}
