package io.salvo.coordinator.cluster;

import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * One worker's requests sent, per interval or, for a plan longer than {@value #MAX_POINTS} intervals, per group
 * of {@link #width()} consecutive intervals: at most {@value #MAX_POINTS} sums (4 KB) however long the run. The
 * width is a power of two fixed by the plan's length, so every coordinator groups alike. Not thread-safe.
 */
public final class SentSeries {

    /** Sums kept per worker at most. */
    public static final int MAX_POINTS = 512;

    private final int width;
    /** The groups the plan can have: what {@link #sums} holds once allocated. */
    private final int capacity;
    /**
     * Allocated whole at the first report, so a long run's memory does not step up as it goes (1,000 workers'
     * series doubling at once cost megabytes in the middle of a run); empty until then.
     */
    private long[] sums = new long[0];
    /** The groups added to (with a report, even of 0 requests): only these are listed. */
    private final BitSet present = new BitSet();

    /** A series for a plan whose reports carry interval indices up to {@code maxIntervalIndex}. */
    public SentSeries(long maxIntervalIndex) {
        this.width = widthFor(maxIntervalIndex);
        this.capacity = (int) ((Math.max(0, maxIntervalIndex) / width) + 1);
    }

    /** The smallest power of two that groups intervals 0 to {@code maxIntervalIndex} into at most 512 sums. */
    public static int widthFor(long maxIntervalIndex) {
        long intervals = Math.max(1, maxIntervalIndex + 1);
        int width = 1;
        while ((intervals + width - 1) / width > MAX_POINTS) {
            width *= 2;
        }
        return width;
    }

    public int width() {
        return width;
    }

    /** Adds {@code amount} to the sum of the group holding interval {@code index}. */
    public void add(long index, long amount) {
        addToGroup(Math.toIntExact(index / width), amount);
    }

    /** Adds {@code amount} to group {@code group} (intervals {@code group * width} onwards). */
    public void addToGroup(int group, long amount) {
        if (group >= sums.length) {
            if (group >= capacity) {
                throw new IllegalArgumentException("group " + group + " is beyond the plan's " + capacity);
            }
            sums = new long[capacity];
        }
        sums[group] += amount;
        present.set(group);
    }

    /** Whether a report counted in group {@code group}. */
    public boolean has(int group) {
        return present.get(group);
    }

    /** The sum of group {@code group} (0 when none was added). */
    public long sum(int group) {
        return group < sums.length ? sums[group] : 0;
    }

    /** One past the last group added to. */
    public int groups() {
        return present.length();
    }

    /** Adds every group of {@code other} (of the same width) to this one. */
    public void addAll(SentSeries other) {
        if (other.width != width) {
            throw new IllegalArgumentException("series of width " + other.width + " added to one of width " + width);
        }
        for (int g = other.present.nextSetBit(0); g >= 0; g = other.present.nextSetBit(g + 1)) {
            addToGroup(g, other.sums[g]);
        }
    }

    /** The sums of the groups added to, by the first interval of their group, in index order (as results list them). */
    public Map<Long, Long> byFirstInterval() {
        Map<Long, Long> map = new TreeMap<>();
        for (int g = present.nextSetBit(0); g >= 0; g = present.nextSetBit(g + 1)) {
            map.put((long) g * width, sums[g]);
        }
        return map;
    }
}
