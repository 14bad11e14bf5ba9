package io.salvo.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LongQueueTest {

    private static List<Long> drain(LongQueue queue) {
        List<Long> values = new ArrayList<>();
        while (!queue.isEmpty()) {
            values.add(queue.poll());
        }
        return values;
    }

    @Test
    void keepsFifoOrderWhenItGrowsWhileWrappedAround() {
        LongQueue queue = new LongQueue();
        for (long i = 0; i < 10; i++) {
            queue.add(i);
        }
        for (long i = 0; i < 8; i++) {
            assertThat(queue.poll()).isEqualTo(i);
        }
        // the head is now near the end of the first ring: these wrap, then overflow it
        for (long i = 10; i < 100; i++) {
            queue.add(i);
        }
        assertThat(queue.size()).isEqualTo(92);
        assertThat(queue.peek()).isEqualTo(8);
        assertThat(drain(queue)).isEqualTo(LongStream.range(8, 100).boxed().toList());
    }

    @Test
    void removeFromDropsTheTailAtAndAboveTheThresholdOnly() {
        LongQueue queue = new LongQueue();
        for (long i = 0; i < 14; i++) {
            queue.add(i);
            queue.poll();
        }
        for (long t = 10; t <= 100; t += 10) {
            queue.add(t); // wraps around the ring's end
        }
        queue.removeFrom(55);
        assertThat(drain(queue)).containsExactly(10L, 20L, 30L, 40L, 50L);
        queue.add(7);
        queue.removeFrom(8);
        assertThat(queue.peek()).isEqualTo(7);
        queue.removeFrom(7);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void clearEmptiesItForReuse() {
        LongQueue queue = new LongQueue();
        for (long i = 0; i < 40; i++) {
            queue.add(i);
        }
        queue.clear();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.size()).isZero();
        queue.add(41);
        assertThat(drain(queue)).containsExactly(41L);
    }

    /** Random adds of increasing instants, polls and tail removals, checked against ArrayDeque. */
    @Test
    void behavesLikeADequeOfIncreasingInstants() {
        long seed = 20261205;
        SplittableRandom random = new SplittableRandom(seed);
        LongQueue queue = new LongQueue();
        ArrayDeque<Long> model = new ArrayDeque<>();
        long next = 0;
        for (int step = 0; step < 20_000; step++) {
            int operation = random.nextInt(10);
            if (operation < 6) {
                next += random.nextInt(1, 1_000);
                queue.add(next);
                model.addLast(next);
            } else if (operation < 9) {
                if (!model.isEmpty()) {
                    assertThat(queue.poll()).as("seed %d, step %d", seed, step).isEqualTo(model.pollFirst());
                }
            } else {
                long threshold = next - random.nextInt(0, 5_000);
                queue.removeFrom(threshold);
                while (!model.isEmpty() && model.peekLast() >= threshold) {
                    model.pollLast();
                }
            }
            assertThat(queue.size()).as("seed %d, step %d", seed, step).isEqualTo(model.size());
            if (!model.isEmpty()) {
                assertThat(queue.peek()).as("seed %d, step %d", seed, step).isEqualTo(model.peekFirst());
            }
        }
    }
}
