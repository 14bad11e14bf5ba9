package io.salvo.testkit;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeClockTest {

    private final FakeClock clock = new FakeClock();
    private final List<String> ran = new ArrayList<>();

    @Test
    void tasksRunInDueOrderAtTheirDueInstant() {
        ScheduledFuture<?> b =
                clock.schedule(() -> ran.add("b@" + clock.elapsed().toMillis()), 200, MILLISECONDS);
        ScheduledFuture<?> a =
                clock.schedule(() -> ran.add("a@" + clock.elapsed().toMillis()), 100, MILLISECONDS);
        ScheduledFuture<?> c =
                clock.schedule(() -> ran.add("c@" + clock.elapsed().toMillis()), 200, MILLISECONDS);

        assertThat(clock.forward(Duration.ofMillis(150))).isEqualTo(1);
        assertThat(ran).containsExactly("a@100");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(150));
        assertThat(a.isDone()).isTrue();
        assertThat(b.isDone()).isFalse();

        clock.forward(Duration.ofMillis(50));
        assertThat(ran).containsExactly("a@100", "b@200", "c@200");
        assertThat(b.isDone()).isTrue();
        assertThat(c.isDone()).isTrue();
    }

    @Test
    void aPeriodicTaskRunsOncePerPeriodUntilItThrowsOrIsCancelled() {
        int[] runs = {0};
        ScheduledFuture<?> ticking = clock.scheduleAtFixedRate(() -> runs[0]++, 50, 50, TimeUnit.MILLISECONDS);
        clock.forward(Duration.ofSeconds(1));
        assertThat(runs[0]).isEqualTo(20);
        ticking.cancel(false);
        clock.forward(Duration.ofSeconds(1));
        assertThat(runs[0]).isEqualTo(20);

        int[] failing = {0};
        ScheduledFuture<?> failed = clock.scheduleAtFixedRate(
                () -> {
                    if (++failing[0] == 3) {
                        throw new IllegalStateException("third run fails");
                    }
                },
                10,
                10,
                TimeUnit.MILLISECONDS);
        clock.forward(Duration.ofMillis(100));
        assertThat(failing[0]).isEqualTo(3);
        assertThat(clock.pendingTasks()).isZero();
        assertThatThrownBy(failed::get).hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void wallAndMonotonicTimeMoveTogether() {
        long wall = clock.unixNanos();
        long mono = clock.nanoTime();
        clock.forward(Duration.ofMinutes(10));
        assertThat(clock.unixNanos() - wall).isEqualTo(Duration.ofMinutes(10).toNanos());
        assertThat(clock.nanoTime() - mono).isEqualTo(Duration.ofMinutes(10).toNanos());
        assertThat(wall).isEqualTo(FakeClock.START.getEpochSecond() * 1_000_000_000L);
    }

    @Test
    void executedTasksRunWhenTheTestLetsThem() {
        clock.execute(() -> ran.add("now"));
        assertThat(ran).isEmpty();
        assertThat(clock.runDueTasks()).isEqualTo(1);
        assertThat(ran).containsExactly("now");
    }

    @Test
    void aTaskScheduledByATaskRunsInTheSameForwardWhenItFallsDue() {
        List<ScheduledFuture<?>> inner = new ArrayList<>();
        ScheduledFuture<?> outer = clock.schedule(
                () -> {
                    inner.add(clock.schedule(
                            () -> ran.add("inner@" + clock.elapsed().toMillis()), 30, MILLISECONDS));
                },
                10,
                MILLISECONDS);
        clock.forward(Duration.ofMillis(100));
        assertThat(ran).containsExactly("inner@40");
        assertThat(outer.isDone()).isTrue();
        assertThat(inner).singleElement().matches(ScheduledFuture::isDone);
    }

    @Test
    void shutdownNowCancelsAndReturnsEveryPendingTask() {
        ScheduledFuture<?> periodic = clock.scheduleAtFixedRate(() -> ran.add("tick"), 10, 10, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> once = clock.schedule(() -> ran.add("once"), 1, TimeUnit.SECONDS);
        assertThat(clock.shutdownNow()).hasSize(2);
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(once.isCancelled()).isTrue();
        assertThat(clock.forward(Duration.ofSeconds(2))).isZero();
        assertThat(ran).isEmpty();
        assertThat(clock.isTerminated()).isTrue();
    }

    @Test
    void aShutDownClockRefusesNewTasksAndTimeCannotGoBack() {
        clock.shutdown();
        assertThatThrownBy(() -> clock.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> clock.forward(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFutureOfATaskNotYetDueSaysSoInsteadOfBlocking() throws Exception {
        ScheduledFuture<String> future = clock.schedule(() -> "done", 1, TimeUnit.SECONDS);
        assertThatThrownBy(future::get).hasMessageContaining("move the clock forward");
        assertThat(clock.nextDueIn()).isEqualTo(Duration.ofSeconds(1));
        clock.forward(Duration.ofSeconds(1));
        assertThat(future.get()).isEqualTo("done");
    }
}
