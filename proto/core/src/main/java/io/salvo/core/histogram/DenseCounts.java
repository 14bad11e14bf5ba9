package io.salvo.core.histogram;

import org.HdrHistogram.Histogram;

/**
 * The counts array of a Salvo histogram (1 µs–1 h, 3 digits), added to bucket by bucket: what an
 * interval accumulates while reports arrive. A report's {@link SparseHistogram} carries the
 * buckets' indices, so merging it is one addition per non-zero bucket, without HdrHistogram's
 * per-value index arithmetic and min/max bookkeeping; the HdrHistogram is built once, when the
 * interval is shown or compressed. Exact: every count stays in its bucket. Not thread-safe.
 */
public final class DenseCounts {

    private final long[] counts = new long[HistogramCodec.MAX_BUCKET_INDEX + 1];
    private long total;
    /** The range of indices ever added to, so conversions do not scan the whole array. */
    private int lowest = Integer.MAX_VALUE;

    private int highest = -1;

    public void add(SparseHistogram sparse) {
        int[] indices = sparse.indices();
        long[] sparseCounts = sparse.counts();
        int n = indices.length;
        if (n == 0) {
            return;
        }
        int low = lowest;
        int high = highest;
        for (int i = 0; i < n; i++) {
            int index = indices[i];
            counts[index] += sparseCounts[i];
            low = Math.min(low, index);
            high = Math.max(high, index);
        }
        lowest = low;
        highest = high;
        total += sparse.totalCount();
    }

    public long totalCount() {
        return total;
    }

    /** Adds every count to {@code target}, a Salvo histogram. */
    public void addTo(Histogram target) {
        for (int i = lowest; i <= highest; i++) {
            if (counts[i] != 0) {
                target.recordValueWithCount(HistogramCodec.valueAtIndex(i), counts[i]);
            }
        }
    }

    public Histogram toHistogram() {
        Histogram h = HistogramSpec.newHistogram();
        addTo(h);
        return h;
    }
}
