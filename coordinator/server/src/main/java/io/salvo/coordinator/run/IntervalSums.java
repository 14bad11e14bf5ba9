package io.salvo.coordinator.run;

import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sum per interval index, for the intervals that have one: an array rather than a map of boxed
 * longs, as it is added to for every report (indices are bounded by the run's last possible
 * interval, which the report's receiver checked). Not thread-safe.
 */
final class IntervalSums {

    private long[] sums = new long[64];
    private final BitSet present = new BitSet();

    void add(long index, long amount) {
        int i = Math.toIntExact(index);
        if (i >= sums.length) {
            sums = java.util.Arrays.copyOf(sums, Math.max(i + 1, 2 * sums.length));
        }
        sums[i] += amount;
        present.set(i);
    }

    /** The sums by index, in index order. */
    Map<Long, Long> toMap() {
        Map<Long, Long> map = new TreeMap<>();
        for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
            map.put((long) i, sums[i]);
        }
        return map;
    }
}
