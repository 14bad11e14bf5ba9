package io.salvo.cli.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.OutcomeClass;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class RunProgressTest {

    @Test
    void theRunSoFarIsTheExactSumOfTheIntervalsHistograms() {
        // Seeded, so a failure reproduces: latencies from 100 us to 20 s over 30 intervals.
        Random random = new Random(20261205L);
        RunProgress progress = new RunProgress(SyntheticRun.plan());
        Histogram everything = HistogramSpec.newHistogram();
        for (int i = 0; i < 30; i++) {
            long[] ok = new long[200];
            for (int j = 0; j < ok.length; j++) {
                ok[j] = 100 + (long) Math.exp(random.nextDouble() * Math.log(20_000_000));
                everything.recordValue(ok[j]);
            }
            long[] failed = {random.nextInt(5_000_000) + 1};
            everything.recordValue(failed[0]);
            progress.add(SyntheticRun.interval(i, ok, failed).build());
        }

        assertThat(progress.runLatency()).isEqualTo(everything);
        for (double p : new double[] {50, 95, 99, 99.9}) {
            assertThat(progress.runLatency().getValueAtPercentile(p)).isEqualTo(everything.getValueAtPercentile(p));
        }
        assertThat(progress.sent()).isEqualTo(30 * 201);
        assertThat(progress.errors()).isEqualTo(30);
        assertThat(progress.runOutcomes())
                .containsEntry(OutcomeClass.OUTCOME_CLASS_2XX, 6000L)
                .containsEntry(OutcomeClass.OUTCOME_CLASS_5XX, 30L);
        assertThat(progress.elapsedMillis()).isEqualTo(30_000);
    }

    @Test
    void anUnreadableHistogramIsLeftOutAndCounted() {
        RunProgress progress = new RunProgress(SyntheticRun.plan());
        progress.add(SyntheticRun.interval(0, SyntheticRun.times(10, 1000), new long[0])
                .build());
        progress.add(SyntheticRun.interval(1, SyntheticRun.times(10, 2000), new long[0])
                .setLatencyMicros(ByteString.copyFromUtf8("not a histogram"))
                .build());

        assertThat(progress.unreadableHistograms()).isEqualTo(1);
        assertThat(progress.runLatency().getTotalCount()).isEqualTo(10);
        assertThat(progress.sent()).isEqualTo(20);
    }

    @Test
    void eventsOfAnEarlierCoordinatorArePlacedAtTheirIntervalsStart() {
        RunProgress progress = new RunProgress(SyntheticRun.plan());
        progress.add(LiveSnapshot.newBuilder()
                .setIntervalIndex(3)
                .setIntervalMillis(1000)
                .addEvents("first success")
                .build());

        assertThat(progress.recentEvents()).hasSize(1);
        assertThat(progress.recentEvents().get(0).getOffsetMicros()).isEqualTo(3_000_000);
        assertThat(progress.recentEvents().get(0).getText()).isEqualTo("first success");
    }
}
