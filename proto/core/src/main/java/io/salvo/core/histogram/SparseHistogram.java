package io.salvo.core.histogram;

import org.HdrHistogram.Histogram;

/**
 * The non-zero buckets of a Salvo histogram: each bucket's counts-array index and its count.
 * Adding it to a Salvo histogram ({@link HistogramSpec#newHistogram()}) or to {@link DenseCounts}
 * is exact, because every count lands in the bucket it came from.
 */
// Arrays, so equals and hashCode are identity: nothing compares or hashes these, and copying them into
// collections would cost on every report the coordinator merges.
@SuppressWarnings("ArrayRecordComponent")
public record SparseHistogram(int[] indices, long[] counts, long totalCount) {

    static SparseHistogram of(Histogram h) {
        int n = 0;
        for (var ignored : h.recordedValues()) {
            n++;
        }
        int[] indices = new int[n];
        long[] counts = new long[n];
        int i = 0;
        for (var v : h.recordedValues()) {
            indices[i] = HistogramCodec.indexOf(h.lowestEquivalentValue(v.getValueIteratedTo()));
            counts[i] = v.getCountAtValueIteratedTo();
            i++;
        }
        return new SparseHistogram(indices, counts, h.getTotalCount());
    }

    public void addTo(Histogram target) {
        for (int i = 0; i < indices.length; i++) {
            target.recordValueWithCount(HistogramCodec.valueAtIndex(indices[i]), counts[i]);
        }
    }

    public Histogram toHistogram() {
        Histogram h = HistogramSpec.newHistogram();
        addTo(h);
        return h;
    }
}
