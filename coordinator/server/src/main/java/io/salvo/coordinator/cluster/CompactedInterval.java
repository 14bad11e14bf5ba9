package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.MergedInterval;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * One interval of a running run whose reports were compacted: the exact merge of the reports of the workers it
 * lists ({@link MergedInterval#getWorkerIdsList()}), and per worker a 64-bit digest of the report that was merged,
 * in the same order. Stored in {@code salvo.run.<id>.compacted} under the interval index, in place of the
 * interval's raw reports.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Self-contained: a new leader restores the interval from this entry alone and marks each listed worker as
 *       reported; any raw report still stored for a listed worker is a copy of one already in here.</li>
 *   <li>A worker's second copy is told apart as before without the first: the same digest is a harmless
 *       re-delivery, another digest a duplicate to refuse. The digest ({@link #digestOf}) is CRC-32C and CRC-32 of
 *       the report's bytes side by side: meant against accidents, not forgery (a worker that forges a collision
 *       only makes its own conflicting copy pass as a re-delivery, which changes nothing merged).</li>
 *   <li>Rewritten, never edited in place, when a late report for the interval arrives: the new entry lists the
 *       old workers with their old digests, plus the new ones.</li>
 * </ul>
 * Encoded with {@link StateCodec} (format version first, then the merged interval's protobuf bytes, then the
 * digests).
 */
public final class CompactedInterval {

    private final MergedInterval merged;
    private final long[] digests;

    /** @param digests each listed worker's report digest, in the order of {@code merged.worker_ids} */
    public CompactedInterval(MergedInterval merged, long[] digests) {
        if (digests.length != merged.getWorkerIdsCount()) {
            throw new IllegalArgumentException(
                    digests.length + " digests for " + merged.getWorkerIdsCount() + " workers");
        }
        this.merged = merged;
        this.digests = digests.clone();
    }

    public MergedInterval merged() {
        return merged;
    }

    /** The digest of a report's stored bytes. */
    public static long digestOf(byte[] reportBytes) {
        CRC32C c = new CRC32C();
        c.update(reportBytes);
        CRC32 d = new CRC32();
        d.update(reportBytes);
        return (c.getValue() << 32) | d.getValue();
    }

    public long intervalIndex() {
        return merged.getIntervalIndex();
    }

    /** The workers' digests by worker id. */
    public Map<String, Long> digestsByWorker() {
        List<String> workers = merged.getWorkerIdsList();
        Map<String, Long> byWorker = new HashMap<>(workers.size() * 2);
        for (int i = 0; i < digests.length; i++) {
            byWorker.put(workers.get(i), digests[i]);
        }
        return byWorker;
    }

    /** The listed worker's digest, or null when the entry does not include that worker's report. */
    public Long digestOf(String workerId) {
        List<String> workers = merged.getWorkerIdsList();
        for (int i = 0; i < digests.length; i++) {
            if (workers.get(i).equals(workerId)) {
                return digests[i];
            }
        }
        return null;
    }

    public byte[] encode() {
        StateCodec.Writer w = new StateCodec.Writer().writeMessage(merged).writeInt(digests.length);
        for (long d : digests) {
            w.writeLong(d);
        }
        return w.toByteArray();
    }

    public static CompactedInterval decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        MergedInterval merged = r.readMessage(MergedInterval.parser());
        int n = r.readCount();
        long[] digests = new long[n];
        for (int i = 0; i < n; i++) {
            digests[i] = r.readLong();
        }
        return new CompactedInterval(merged, digests);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompactedInterval other
                && merged.equals(other.merged)
                && java.util.Arrays.equals(digests, other.digests);
    }

    @Override
    public int hashCode() {
        return 31 * merged.hashCode() + java.util.Arrays.hashCode(digests);
    }

    @Override
    public String toString() {
        return "CompactedInterval[" + merged.getIntervalIndex() + ", " + digests.length + " workers]";
    }
}
