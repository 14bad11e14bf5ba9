package io.salvo.worker.engine;

/**
 * A growable FIFO ring of (long, long) pairs, so queued requests cost no object each.
 * Not thread-safe.
 */
final class LongPairQueue {

    private long[] slots = new long[64];
    private int head; // index of the first pair's first long
    private int size; // number of pairs

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void add(long first, long second) {
        if (2 * size == slots.length) {
            grow();
        }
        int tail = (head + 2 * size) & (slots.length - 1);
        slots[tail] = first;
        slots[tail + 1] = second;
        size++;
    }

    long peekFirst() {
        return slots[head];
    }

    long peekSecond() {
        return slots[head + 1];
    }

    void remove() {
        head = (head + 2) & (slots.length - 1);
        size--;
    }

    void clear() {
        head = 0;
        size = 0;
    }

    private void grow() {
        long[] larger = new long[slots.length * 2];
        for (int i = 0; i < 2 * size; i++) {
            larger[i] = slots[(head + i) & (slots.length - 1)];
        }
        slots = larger;
        head = 0;
    }
}
