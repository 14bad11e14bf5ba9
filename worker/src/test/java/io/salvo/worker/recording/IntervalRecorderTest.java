package io.salvo.worker.recording;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.proto.v1.CapturedHeader;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.testkit.Await;
import io.salvo.testkit.FakeClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class IntervalRecorderTest {

    private static final long MS = 1_000_000L;

    @Test
    void eventsAreFiledUnderTheIntervalOfTheirInstant() throws Exception {
        AtomicLong clock = new AtomicLong(10_000 * MS);
        IntervalRecorder recorder =
                new IntervalRecorder(10_000 * MS, 1000 * MS, 1 * MS, List.of("Salvo-Instance-Id"), clock::get);
        LaneRecorder lane = recorder.newLane();

        // interval 0: a request intended at +100 ms, sent 3 ms late, completing at +950 ms
        clock.set(10_103 * MS);
        lane.recordIntended();
        long sentAt = lane.recordSend(10_100 * MS);
        clock.set(10_950 * MS);
        lane.recordCompletion(OutcomeClass.OUTCOME_CLASS_2XX, 10_100 * MS, sentAt, new String[] {"pod-a"});
        // another sent in interval 0 but completing in interval 1 with a 503
        clock.set(10_990 * MS);
        lane.recordIntended();
        long secondSent = lane.recordSend(10_990 * MS);
        clock.set(11_020 * MS);
        lane.recordCompletion(OutcomeClass.OUTCOME_CLASS_5XX, 10_990 * MS, secondSent, new String[] {"pod-b"});

        IntervalReport first = recorder.harvest(0);
        assertThat(first.getIntervalIndex()).isZero();
        assertThat(first.getIntended()).isEqualTo(2);
        assertThat(first.getSent()).isEqualTo(2);
        assertThat(first.getCompleted()).isEqualTo(1);
        assertThat(first.getLateSends()).isEqualTo(1);
        assertThat(first.getInFlightAtEnd()).isEqualTo(1);
        assertThat(first.getOutcomesList())
                .extracting(OutcomeHistograms::getOutcome)
                .containsExactly(OutcomeClass.OUTCOME_CLASS_2XX);
        Histogram latency = HistogramCodec.decode(first.getOutcomes(0).getLatencyMicros());
        assertThat(latency.getTotalCount()).isEqualTo(1);
        assertThat(latency.getMaxValue()).isBetween(849_000L, 851_000L);
        Histogram service = HistogramCodec.decode(first.getOutcomes(0).getServiceTimeMicros());
        assertThat(service.getMaxValue()).isBetween(846_000L, 848_000L);
        assertThat(first.getCapturedHeadersList())
                .extracting(CapturedHeader::getName)
                .containsExactly("Salvo-Instance-Id");

        IntervalReport second = recorder.harvest(1);
        assertThat(second.getSent()).isZero();
        assertThat(second.getCompleted()).isEqualTo(1);
        assertThat(second.getInFlightAtEnd()).isZero();
        assertThat(second.getOutcomesList())
                .extracting(OutcomeHistograms::getOutcome)
                .containsExactly(OutcomeClass.OUTCOME_CLASS_5XX);
        assertThat(second.getCapturedHeaders(0).getValues(0).getValue()).isEqualTo("pod-b");

        IntervalReport empty = recorder.harvest(2);
        assertThat(empty.getOutcomesCount()).isZero();
        assertThat(HistogramCodec.decode(empty.getSchedulerLagMicros()).getTotalCount())
                .isZero();
    }

    @Test
    void abandonedRequestsCountAsUnsentTimeouts() throws Exception {
        AtomicLong clock = new AtomicLong(0);
        IntervalRecorder recorder = new IntervalRecorder(0, 1000 * MS, MS, List.of(), clock::get);
        LaneRecorder lane = recorder.newLane();
        lane.recordIntended();
        lane.recordCapHit();
        clock.set(700 * MS);
        lane.recordAbandoned(0);
        IntervalReport report = recorder.harvest(0);
        assertThat(report.getUnsent()).isEqualTo(1);
        assertThat(report.getInFlightCapHits()).isEqualTo(1);
        assertThat(report.getCompleted()).isEqualTo(1);
        assertThat(report.getSent()).isZero();
        assertThat(report.getOutcomes(0).getOutcome()).isEqualTo(OutcomeClass.OUTCOME_CLASS_TIMEOUT);
        assertThat(HistogramCodec.decode(report.getOutcomes(0).getLatencyMicros())
                        .getMaxValue())
                .isBetween(699_000L, 701_000L);
    }

    @Test
    void encodingRoundTripsExactly() throws Exception {
        Histogram histogram = HistogramSpec.newHistogram();
        for (long v = 1; v < 3_600_000_000L; v = v * 3 + 7) {
            histogram.recordValueWithCount(v, v % 5 + 1);
        }
        histogram.recordValue(HistogramSpec.toRecordableMicros(Long.MAX_VALUE));
        Histogram decoded = HistogramCodec.decode(HistogramCodec.encode(histogram));
        assertThat(decoded).isEqualTo(histogram);
        assertThat(decoded.getTotalCount()).isEqualTo(histogram.getTotalCount());
        assertThat(decoded.getMaxValue()).isEqualTo(histogram.getMaxValue());
    }

    /**
     * Three writer threads record as fast as they can on a fake clock with 5 ms intervals while a
     * reader moves the clock to 1 ms after an interval's end and harvests it, once the writers have
     * recorded thousands of events in it; afterwards the harvested totals equal what the writers
     * recorded, and every count matches its histogram.
     */
    @Test
    void harvestUnderConcurrentWritersLosesAndDuplicatesNothing() throws Exception {
        long interval = 5 * MS;
        FakeClock clock = new FakeClock();
        IntervalRecorder recorder = new IntervalRecorder(clock.nanoTime(), interval, MS, List.of("h"), clock::nanoTime);
        int writers = 3;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLongArray sendsSoFar = new AtomicLongArray(writers);
        long[] recordedSends = new long[writers];
        long[] recordedCompletions = new long[writers];
        CountDownLatch done = new CountDownLatch(writers);
        String[] header = {"x"};
        for (int w = 0; w < writers; w++) {
            int id = w;
            LaneRecorder lane = recorder.newLane();
            Thread thread = new Thread(
                    () -> {
                        long sends = 0;
                        long completions = 0;
                        while (!stop.get()) {
                            long now = lane.recordIntended();
                            long sent = lane.recordSend(now);
                            sends++;
                            lane.recordCompletion(
                                    sends % 7 == 0 ? OutcomeClass.OUTCOME_CLASS_5XX : OutcomeClass.OUTCOME_CLASS_2XX,
                                    now,
                                    sent,
                                    header);
                            completions++;
                            if (sends % 1024 == 0) {
                                sendsSoFar.lazySet(id, sends);
                                LockSupport.parkNanos(1_000); // leave the reader some CPU on a 2-core machine
                            }
                        }
                        recordedSends[id] = sends;
                        recordedCompletions[id] = completions;
                        done.countDown();
                    },
                    "writer-" + w);
            thread.setDaemon(true);
            thread.start();
        }
        List<IntervalReport> reports = new ArrayList<>();
        for (long index = 0; index < 8; index++) {
            long before = sum(sendsSoFar);
            Await.until("3,000 more sends recorded in interval " + index, () -> sum(sendsSoFar) >= before + 3_000);
            clock.forwardNanos(recorder.intervalEndNanos(index) + MS - clock.nanoTime());
            reports.add(recorder.harvest(index));
        }
        stop.set(true);
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        reports.add(recorder.harvest(recorder.intervalIndexAt(clock.nanoTime()) + 1));

        long sent = 0;
        long completed = 0;
        long histogramCount = 0;
        long headerCount = 0;
        for (IntervalReport report : reports) {
            sent += report.getSent();
            completed += report.getCompleted();
            long inReport = 0;
            for (OutcomeHistograms outcome : report.getOutcomesList()) {
                inReport += HistogramCodec.decode(outcome.getLatencyMicros()).getTotalCount();
                assertThat(HistogramCodec.decode(outcome.getServiceTimeMicros()).getTotalCount())
                        .isEqualTo(HistogramCodec.decode(outcome.getLatencyMicros())
                                .getTotalCount());
            }
            assertThat(inReport).isEqualTo(report.getCompleted());
            assertThat(HistogramCodec.decode(report.getSchedulerLagMicros()).getTotalCount())
                    .isEqualTo(report.getSent());
            histogramCount += inReport;
            for (CapturedHeader h : report.getCapturedHeadersList()) {
                headerCount += h.getValues(0).getCount();
            }
        }
        long expectedSends = 0;
        long expectedCompletions = 0;
        for (int w = 0; w < writers; w++) {
            expectedSends += recordedSends[w];
            expectedCompletions += recordedCompletions[w];
        }
        assertThat(expectedSends).isGreaterThan(10_000);
        assertThat(sent).isEqualTo(expectedSends);
        assertThat(completed).isEqualTo(expectedCompletions);
        assertThat(histogramCount).isEqualTo(expectedCompletions);
        assertThat(headerCount).isEqualTo(expectedCompletions);
        assertThat(reports.size()).isGreaterThanOrEqualTo(9);
    }

    private static long sum(AtomicLongArray values) {
        long sum = 0;
        for (int i = 0; i < values.length(); i++) {
            sum += values.get(i);
        }
        return sum;
    }
}
