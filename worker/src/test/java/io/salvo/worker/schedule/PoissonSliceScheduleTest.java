package io.salvo.worker.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.rate.RateProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoissonSliceScheduleTest {

    private static final long SEED = 0x5A17_0C0FFEEL;

    @Test
    void interArrivalTimesAreExponentialByKolmogorovSmirnov() {
        double rate = 5_000;
        RateProfile profile = RateProfile.constant(rate, 4_000);
        SliceSegment half = new SliceSegment(0, 1, 2);
        System.out.println("Poisson KS test seed = " + SEED);
        ArrivalSchedule schedule = PoissonSliceSchedule.fromStart(profile, half, SEED);
        List<Double> gapsSeconds = new ArrayList<>();
        long previous = 0;
        for (long t = schedule.nextIntendedNanos(); t != ArrivalSchedule.END; t = schedule.nextIntendedNanos()) {
            gapsSeconds.add((t - previous) / 1e9);
            previous = t;
        }
        double[] sorted =
                gapsSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double lambda = rate * half.share();
        double d = 0;
        for (int i = 0; i < sorted.length; i++) {
            double cdf = 1 - Math.exp(-lambda * sorted[i]);
            d = Math.max(d, Math.max(cdf - (double) i / sorted.length, (double) (i + 1) / sorted.length - cdf));
        }
        // critical value at alpha = 0.01
        double critical = 1.628 / Math.sqrt(sorted.length);
        assertThat(d)
                .as("KS statistic over %d gaps, seed %d", sorted.length, SEED)
                .isLessThan(critical);
    }

    @Test
    void threeWorkersSumToTheTotalRateWithinStatisticalTolerance() {
        RateProfile profile = RateProfile.constant(2_000, 10_000);
        long[] boundaries = {0, 1, 3, 6};
        long total = 0;
        System.out.println("Poisson sum test seeds = " + SEED + " + worker index");
        for (int i = 0; i + 1 < boundaries.length; i++) {
            ArrivalSchedule schedule = PoissonSliceSchedule.fromStart(
                    profile, new SliceSegment(boundaries[i], boundaries[i + 1], 6), SEED + i);
            long previous = -1;
            for (long t = schedule.nextIntendedNanos(); t != ArrivalSchedule.END; t = schedule.nextIntendedNanos()) {
                assertThat(t).isGreaterThanOrEqualTo(previous).isLessThan(profile.durationNanos());
                previous = t;
                total++;
            }
        }
        double expected = profile.totalCount(); // 20_000; Poisson sd = sqrt(20_000) ≈ 141
        assertThat((double) total).isBetween(expected - 4 * Math.sqrt(expected), expected + 4 * Math.sqrt(expected));
    }

    @Test
    void sameSeedGivesTheSameStreamAndResliceStartsAtTheInstant() {
        RateProfile profile = RateProfile.constant(100, 5_000);
        long[] first = new long[50];
        long[] second = new long[50];
        ArrivalSchedule a = PoissonSliceSchedule.fromStart(profile, SliceSegment.whole(), 7);
        ArrivalSchedule b = PoissonSliceSchedule.fromStart(profile, SliceSegment.whole(), 7);
        for (int i = 0; i < 50; i++) {
            first[i] = a.nextIntendedNanos();
            second[i] = b.nextIntendedNanos();
        }
        assertThat(Arrays.equals(first, second)).isTrue();
        ArrivalSchedule resliced = a.reslice(new SliceSegment(0, 1, 4), 9, 3_000_000_000L);
        assertThat(resliced.nextIntendedNanos()).isGreaterThanOrEqualTo(3_000_000_000L);
    }
}
