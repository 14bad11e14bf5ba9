package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SealedCountsTest {

    @Test
    void aPlanOf512IntervalsKeepsOneSumPerInterval() {
        assertThat(SentSeries.widthFor(511)).isEqualTo(1);
        assertThat(SentSeries.widthFor(512)).isEqualTo(2);
        assertThat(SentSeries.widthFor(3_599)).as("an hour of 1 s intervals").isEqualTo(8);
        assertThat(SentSeries.widthFor(86_399)).as("a day").isEqualTo(256);
    }

    @Test
    void longPlansGroupIntervalsAndKeepTheirSums() {
        SentSeries series = new SentSeries(3_599);
        series.add(0, 5);
        series.add(7, 3);
        series.add(8, 0); // reported, nothing sent: listed with 0
        series.add(3_599, 2);

        assertThat(series.width()).isEqualTo(8);
        assertThat(series.byFirstInterval())
                .containsExactly(Map.entry(0L, 8L), Map.entry(8L, 0L), Map.entry(3_592L, 2L));
        assertThat(series.groups()).isEqualTo(450).isLessThanOrEqualTo(SentSeries.MAX_POINTS);
    }

    @Test
    void roundTripsEveryWorkersCountsAndSeries() {
        SealedCounts counts = new SealedCounts(3_599);
        counts.add("w-a", 3, 100, 99);
        counts.add("w-a", 20, 50, 50);
        counts.add("w-b", 9, 0, 0);
        counts.sealedBelow(64);

        SealedCounts read = SealedCounts.decode(counts.encode(), 3_599);

        assertThat(read.sealedBelow()).isEqualTo(64);
        assertThat(read.byWorker()).containsOnlyKeys("w-a", "w-b");
        assertThat(read.byWorker().get("w-a").sent()).isEqualTo(150);
        assertThat(read.byWorker().get("w-a").completed()).isEqualTo(149);
        assertThat(read.byWorker().get("w-a").series().byFirstInterval())
                .containsExactly(Map.entry(0L, 100L), Map.entry(16L, 50L));
        assertThat(read.byWorker().get("w-b").series().byFirstInterval()).containsExactly(Map.entry(8L, 0L));
    }

    @Test
    void countsGroupedForAnotherPlanLengthAreRefused() {
        SealedCounts counts = new SealedCounts(3_599);
        counts.add("w-a", 3, 1, 1);

        assertThatThrownBy(() -> SealedCounts.decode(counts.encode(), 100))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("sealed counts grouped by 8 intervals, but this plan groups by 1");
    }

    @Test
    void aSealedEntryKeepsTheMergeAloneAndARecentOneEachWorkersDigest() {
        io.salvo.proto.v1.MergedInterval merged = io.salvo.proto.v1.MergedInterval.newBuilder()
                .setIntervalIndex(4)
                .setWorkersReported(2)
                .setSent(30)
                .build();
        CompactedInterval recent = CompactedInterval.recent(
                merged,
                Map.of(
                        "w-a", new CompactedInterval.WorkerCounts(11, 10, 10),
                        "w-b", new CompactedInterval.WorkerCounts(22, 20, 19)));
        CompactedInterval sealed = CompactedInterval.sealed(merged);

        assertThat(CompactedInterval.decode(recent.encode())).isEqualTo(recent);
        assertThat(CompactedInterval.decode(recent.encode()).digestOf("w-b")).isEqualTo(22L);
        assertThat(CompactedInterval.decode(sealed.encode())).isEqualTo(sealed);
        assertThat(CompactedInterval.decode(sealed.encode()).isSealed()).isTrue();
        assertThat(CompactedInterval.decode(sealed.encode()).digestOf("w-b")).isNull();
        assertThat(sealed.encode().length).isLessThan(recent.encode().length);
        assertThatThrownBy(() ->
                        CompactedInterval.recent(merged, Map.of("w-a", new CompactedInterval.WorkerCounts(11, 10, 10))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interval 4: counts for 1 workers, but its merge holds 2 reports");
    }
}
