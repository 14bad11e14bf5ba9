package io.salvo.bench.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory benchmark's slope: samples before the cut-off and samples whose forced GC did not run are left out. */
class CoordinatorMemoryTest {

    @Test
    void theSlopeLeavesOutEarlySamplesAndSamplesWithoutAHeapFigure() {
        List<double[]> samples = List.of(
                new double[] {30, 500}, // before the first minute
                new double[] {60, 100},
                new double[] {120, 110},
                new double[] {180, Double.NaN}, // the JVM skipped the collection
                new double[] {240, 130});
        double perSecond = CoordinatorMemory.slope(samples, 1, 60)[0];
        // Least squares over (60, 100), (120, 110), (240, 130): 1/6 MB per second. The NaN sample would poison the
        // sums.
        assertThat(perSecond).isCloseTo(1.0 / 6, within(1e-9));
        assertThat(CoordinatorMemory.slope(List.of(new double[] {60, 1}, new double[] {120, Double.NaN}), 1, 60)[0])
                .as("one usable sample has no slope")
                .isNaN();
    }
}
