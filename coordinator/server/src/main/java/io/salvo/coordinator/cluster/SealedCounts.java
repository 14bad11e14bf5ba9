package io.salvo.coordinator.cluster;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each worker's reports counted in a running run's sealed intervals (those below {@link #sealedBelow()}):
 * requests sent and completed, and sent per group of intervals ({@link SentSeries}). Sealed intervals keep only
 * their merge ({@link CompactedInterval#sealed}); this one entry per run keeps the per-worker counts they drop,
 * so a new leader's per-worker figures still include them. Its size depends on the number of workers and is
 * bounded by {@value SentSeries#MAX_POINTS} sums each, not by the run's length. Not thread-safe.
 *
 * <p>Encoded with {@link StateCodec}: format version, the sealed-below index, the series width, the number of
 * workers, then per worker its id, sent and completed counts, its number of groups and per group its sum plus one
 * (0: no report counted there), all as varints.
 */
public final class SealedCounts {

    /** One worker's counts over the sealed intervals. */
    public static final class Worker {
        private long sent;
        private long completed;
        private final SentSeries series;

        private Worker(SentSeries series) {
            this.series = series;
        }

        public long sent() {
            return sent;
        }

        public long completed() {
            return completed;
        }

        public SentSeries series() {
            return series;
        }
    }

    private final long maxIntervalIndex;
    private long sealedBelow;
    private final Map<String, Worker> byWorker = new LinkedHashMap<>();

    /** Nothing sealed yet, for a plan whose reports carry interval indices up to {@code maxIntervalIndex}. */
    public SealedCounts(long maxIntervalIndex) {
        this.maxIntervalIndex = maxIntervalIndex;
    }

    /** Intervals below this one are sealed, and their per-worker counts are here. */
    public long sealedBelow() {
        return sealedBelow;
    }

    public void sealedBelow(long index) {
        sealedBelow = index;
    }

    /** Counts one worker's report of one sealed interval. */
    public void add(String workerId, long intervalIndex, long sent, long completed) {
        Worker w = byWorker.computeIfAbsent(workerId, id -> new Worker(new SentSeries(maxIntervalIndex)));
        w.sent += sent;
        w.completed += completed;
        w.series.add(intervalIndex, sent);
    }

    /** Each worker's counts, by worker id, in the order they were first counted. */
    public Map<String, Worker> byWorker() {
        return Collections.unmodifiableMap(byWorker);
    }

    public byte[] encode() {
        int width = SentSeries.widthFor(maxIntervalIndex);
        StateCodec.Writer w = new StateCodec.Writer()
                .writeUnsignedVarLong(sealedBelow)
                .writeInt(width)
                .writeInt(byWorker.size());
        byWorker.forEach((id, counts) -> {
            w.writeString(id)
                    .writeUnsignedVarLong(counts.sent)
                    .writeUnsignedVarLong(counts.completed)
                    .writeInt(counts.series.groups());
            for (int g = 0; g < counts.series.groups(); g++) {
                w.writeUnsignedVarLong(counts.series.has(g) ? counts.series.sum(g) + 1 : 0);
            }
        });
        return w.toByteArray();
    }

    /**
     * Reads counts written by {@link #encode} for the same plan.
     *
     * @throws IllegalStateException when the bytes do not decode, or were grouped for a plan of another length
     */
    public static SealedCounts decode(byte[] bytes, long maxIntervalIndex) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        SealedCounts counts = new SealedCounts(maxIntervalIndex);
        counts.sealedBelow = r.readUnsignedVarLong();
        int width = r.readInt();
        if (width != SentSeries.widthFor(maxIntervalIndex)) {
            throw new IllegalStateException("sealed counts grouped by " + width + " intervals, but this plan groups by "
                    + SentSeries.widthFor(maxIntervalIndex));
        }
        int n = r.readCount();
        for (int i = 0; i < n; i++) {
            Worker w = new Worker(new SentSeries(maxIntervalIndex));
            String id = r.readString();
            w.sent = r.readUnsignedVarLong();
            w.completed = r.readUnsignedVarLong();
            int groups = r.readCount();
            if (groups > SentSeries.MAX_POINTS + 1) {
                throw new IllegalStateException("worker " + id + " has " + groups + " groups of sealed counts");
            }
            for (int g = 0; g < groups; g++) {
                long sumPlusOne = r.readUnsignedVarLong();
                if (sumPlusOne > 0) {
                    w.series.addToGroup(g, sumPlusOne - 1);
                }
            }
            counts.byWorker.put(id, w);
        }
        return counts;
    }
}
