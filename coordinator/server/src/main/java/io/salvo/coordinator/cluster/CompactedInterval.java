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
 * Per worker it also keeps what that worker's report counted (requests sent and completed), so a new leader's
 * per-worker totals include the compacted intervals.
 *
 * <p>Encoded with {@link StateCodec} (format version first, then the merged interval's protobuf bytes, then the
 * digests, then the per-worker sent and completed counts as varints; an entry written without the counts reads as
 * zero counts).
 */
public final class CompactedInterval {

    private final MergedInterval merged;
    private final long[] digests;
    private final long[] sent;
    private final long[] completed;

    /**
     * @param digests each listed worker's report digest, in the order of {@code merged.worker_ids}
     * @param sent each listed worker's requests sent in the interval, same order
     * @param completed each listed worker's requests completed in the interval, same order
     */
    public CompactedInterval(MergedInterval merged, long[] digests, long[] sent, long[] completed) {
        int workers = merged.getWorkerIdsCount();
        if (digests.length != workers || sent.length != workers || completed.length != workers) {
            throw new IllegalArgumentException(digests.length + " digests, " + sent.length + " sent and "
                    + completed.length + " completed counts for " + workers + " workers");
        }
        this.merged = merged;
        this.digests = digests.clone();
        this.sent = sent.clone();
        this.completed = completed.clone();
    }

    /** What one listed worker's report counted. */
    public record WorkerCounts(long digest, long sent, long completed) {}

    /** Each listed worker's digest and counts, by worker id. */
    public Map<String, WorkerCounts> countsByWorker() {
        List<String> workers = merged.getWorkerIdsList();
        Map<String, WorkerCounts> byWorker = new HashMap<>(workers.size() * 2);
        for (int i = 0; i < digests.length; i++) {
            byWorker.put(workers.get(i), new WorkerCounts(digests[i], sent[i], completed[i]));
        }
        return byWorker;
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
        for (int i = 0; i < digests.length; i++) {
            w.writeUnsignedVarLong(sent[i]).writeUnsignedVarLong(completed[i]);
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
        long[] sent = new long[n];
        long[] completed = new long[n];
        if (r.hasMore()) {
            for (int i = 0; i < n; i++) {
                sent[i] = r.readUnsignedVarLong();
                completed[i] = r.readUnsignedVarLong();
            }
        }
        return new CompactedInterval(merged, digests, sent, completed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompactedInterval other
                && merged.equals(other.merged)
                && java.util.Arrays.equals(digests, other.digests)
                && java.util.Arrays.equals(sent, other.sent)
                && java.util.Arrays.equals(completed, other.completed);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(
                merged,
                java.util.Arrays.hashCode(digests),
                java.util.Arrays.hashCode(sent),
                java.util.Arrays.hashCode(completed));
    }

    @Override
    public String toString() {
        return "CompactedInterval[" + merged.getIntervalIndex() + ", " + digests.length + " workers]";
    }
}
