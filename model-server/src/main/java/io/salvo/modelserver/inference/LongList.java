package io.salvo.modelserver.inference;

import java.util.Arrays;

/** Growable {@code long[]} without boxing: the ids of one text while it is tokenized. Not thread-safe. */
final class LongList {
    private long[] values;
    private int size;

    LongList(int capacity) {
        values = new long[Math.max(4, capacity)];
    }

    void add(long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    int size() {
        return size;
    }

    void truncate(int newSize) {
        size = newSize;
    }

    long[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
