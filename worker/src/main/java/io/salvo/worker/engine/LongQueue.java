package io.salvo.worker.engine;

/**
 * A growable FIFO ring of longs (intended instants), so queued instants cost no object each.
 * Not thread-safe.
 */
final class LongQueue {

    private long[] slots = new long[16];
    private int head;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void add(long value) {
        if (size == slots.length) {
            grow();
        }
        slots[(head + size) & (slots.length - 1)] = value;
        size++;
    }

    long peek() {
        return slots[head];
    }

    long poll() {
        long value = slots[head];
        head = (head + 1) & (slots.length - 1);
        size--;
        return value;
    }

    /** Drops the entries at the tail that are at least {@code threshold} (the queue is in increasing order). */
    void removeFrom(long threshold) {
        while (size > 0 && slots[(head + size - 1) & (slots.length - 1)] >= threshold) {
            size--;
        }
    }

    void clear() {
        head = 0;
        size = 0;
    }

    private void grow() {
        long[] larger = new long[slots.length * 2];
        for (int i = 0; i < size; i++) {
            larger[i] = slots[(head + i) & (slots.length - 1)];
        }
        slots = larger;
        head = 0;
    }
}
