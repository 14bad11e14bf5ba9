package io.salvo.bench.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles and the median, on values whose answers can be read off. */
class PercentilesTest {

    @Test
    void nearestRankOfOneToOneHundredIsThePercentItself() {
        double[] shuffled = IntStream.rangeClosed(1, 100)
                .map(i -> (i * 37) % 100 + 1)
                .asDoubleStream()
                .toArray();
        assertThat(Percentiles.nearestRank(shuffled, 50)).isEqualTo(50);
        assertThat(Percentiles.nearestRank(shuffled, 99)).isEqualTo(99);
        assertThat(Percentiles.nearestRank(shuffled, 100)).isEqualTo(100);
        assertThat(Percentiles.nearestRank(shuffled, 0)).isEqualTo(1);
    }

    @Test
    void nearestRankRoundsTheRankUp() {
        assertThat(Percentiles.nearestRank(new double[] {3, 1, 2}, 50)).isEqualTo(2);
        assertThat(Percentiles.nearestRank(new double[] {4, 1, 3, 2}, 50)).isEqualTo(2);
        assertThat(Percentiles.nearestRank(new double[] {4, 1, 3, 2}, 51)).isEqualTo(3);
    }

    @Test
    void noValuesGiveZero() {
        assertThat(Percentiles.nearestRank(new double[0], 99)).isZero();
    }

    @Test
    void medianOfAnEvenCountIsTheUpperMiddle() {
        assertThat(Percentiles.median(new long[] {30, 10, 20})).isEqualTo(20);
        assertThat(Percentiles.median(new long[] {40, 10, 30, 20})).isEqualTo(30);
    }

    @Test
    void inputsAreLeftInTheirOrder() {
        double[] values = {3, 1, 2};
        Percentiles.nearestRank(values, 50);
        assertThat(values).containsExactly(3, 1, 2);
    }
}
