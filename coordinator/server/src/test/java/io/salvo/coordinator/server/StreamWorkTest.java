package io.salvo.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.testkit.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stream's queued work runs in submission order, one task at a time, and survives a failing task. */
class StreamWorkTest {

    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void queuedWorkRunsInOrderAndTheStreamIsIdleOnlyWhenAllOfItRan() throws Exception {
        StreamWork work = new StreamWork(pool);
        assertThat(work.idle()).isTrue();
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> ran = new CopyOnWriteArrayList<>();
        work.submit(() -> {
            await(release);
            ran.add(0);
        });
        for (int i = 1; i <= 500; i++) {
            int n = i;
            work.submit(() -> ran.add(n));
            if (i == 250) {
                work.submit(() -> {
                    throw new IllegalStateException("a handler bug");
                });
            }
        }
        // The first task is still waiting: everything after it waits too, and the caller must not work inline.
        assertThat(work.idle()).isFalse();
        assertThat(ran).isEmpty();
        release.countDown();
        Await.until("the stream idle", work::idle);
        assertThat(ran)
                .containsExactlyElementsOf(IntStream.rangeClosed(0, 500).boxed().toList());
    }

    @Test
    void workOfDifferentStreamsRunsSideBySide() throws Exception {
        StreamWork a = new StreamWork(pool);
        StreamWork b = new StreamWork(pool);
        CountDownLatch bothRunning = new CountDownLatch(2);
        CountDownLatch done = new CountDownLatch(2);
        for (StreamWork w : List.of(a, b)) {
            w.submit(() -> {
                bothRunning.countDown();
                await(bothRunning); // only returns if the other stream's task runs at the same time
                done.countDown();
            });
        }
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("not released within 20 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
