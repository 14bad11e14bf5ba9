package io.salvo.coordinator.merge;

import org.HdrHistogram.Histogram;

/**
 * The non-zero buckets of a histogram: each bucket's lowest value and its count. Adding it to a
 * Salvo histogram ({@link HistogramCodec#newHistogram()}) is exact, because every value lands in
 * the bucket it came from.
 */
public record SparseHistogram(long[] values, long[] counts, long totalCount) {

    static SparseHistogram of(Histogram h) {
        int n = 0;
        for (var v : h.recordedValues()) {
            n++;
        }
        long[] values = new long[n];
        long[] counts = new long[n];
        int i = 0;
        for (var v : h.recordedValues()) {
            values[i] = h.lowestEquivalentValue(v.getValueIteratedTo());
            counts[i] = v.getCountAtValueIteratedTo();
            i++;
        }
        return new SparseHistogram(values, counts, h.getTotalCount());
    }

    public void addTo(Histogram target) {
        for (int i = 0; i < values.length; i++) {
            target.recordValueWithCount(values[i], counts[i]);
        }
    }

    public Histogram toHistogram() {
        Histogram h = HistogramCodec.newHistogram();
        addTo(h);
        return h;
    }
}
