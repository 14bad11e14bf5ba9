package io.salvo.modelserver.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The request-deadline thread on real time, with tolerances for a loaded 2-core machine: it expires late entries
 * (never early), leaves answered ones alone, and sleeps between deadlines instead of polling.
 */
class DeadlineWatchTest {

    /** An entry whose deadline is its arrival plus the watch's timeout, as the serving core makes them. */
    private static final class Probe implements DeadlineWatch.Entry {
        final long deadlineNanos;
        final CountDownLatch expired = new CountDownLatch(1);
        final AtomicLong expiredAtNanos = new AtomicLong();
        final AtomicInteger expiries = new AtomicInteger();

        Probe(DeadlineWatch watch) {
            this.deadlineNanos = System.nanoTime() + watch.timeoutNanos();
        }

        @Override
        public long deadlineNanos() {
            return deadlineNanos;
        }

        @Override
        public void expire() {
            expiredAtNanos.set(System.nanoTime());
            expiries.incrementAndGet();
            expired.countDown();
        }
    }

    @Test
    void anEntryStillRegisteredAtItsDeadlineExpiresOnceAndNotBefore() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch(TimeUnit.MILLISECONDS.toNanos(200), "test-deadlines")) {
            Probe late = new Probe(watch);
            watch.add(late);
            assertThat(late.expired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(late.expiredAtNanos.get() - late.deadlineNanos).isNotNegative();
            // A later entry expiring proves the watch went on past the first one's deadline without expiring it again.
            Probe later = new Probe(watch);
            watch.add(later);
            assertThat(later.expired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(late.expiries.get()).isEqualTo(1);
        }
    }

    @Test
    void anEntryRemovedBeforeItsDeadlineNeverExpires() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch(TimeUnit.MILLISECONDS.toNanos(100), "test-deadlines")) {
            Probe answered = new Probe(watch);
            watch.add(answered);
            watch.remove(answered);
            Probe late = new Probe(watch);
            watch.add(late);
            // the later entry expiring proves the watch looked past the first one's deadline
            assertThat(late.expired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(answered.expiries.get()).isZero();
        }
    }

    @Test
    void requestsFlowingWithoutBeingLateDoNotWakeTheThreadEveryFewMilliseconds() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch(TimeUnit.SECONDS.toNanos(1), "test-deadlines")) {
            long before = watch.wakeUps();
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            int requests = 0;
            while (System.nanoTime() < end) {
                Probe request = new Probe(watch);
                watch.add(request);
                Thread.sleep(2);
                watch.remove(request);
                requests++;
            }
            // about one wake-up per timeout period (1 s) plus one per deadline it waited for; a 5 ms sweep would
            // have woken ~300 times
            assertThat(requests).isGreaterThan(50);
            assertThat(watch.wakeUps() - before).isLessThanOrEqualTo(6);
        }
    }

    @Test
    void anEntryAddedWhileTheThreadSleepsOnAnEarlierDeadlineStillExpiresInTime() throws Exception {
        try (DeadlineWatch watch = new DeadlineWatch(TimeUnit.MILLISECONDS.toNanos(300), "test-deadlines")) {
            Probe first = new Probe(watch);
            watch.add(first);
            Thread.sleep(100);
            Probe second = new Probe(watch);
            watch.add(second);
            assertThat(first.expired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(second.expired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(second.expiredAtNanos.get() - second.deadlineNanos)
                    .isNotNegative()
                    .isLessThan(TimeUnit.SECONDS.toNanos(3));
        }
    }
}
