package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.MergedInterval;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * One interval of a running run whose reports were compacted: the exact merge of the reports of the workers it
 * names ({@link MergedInterval#getReportedBy()}). Stored in {@code salvo.run.<id>.compacted} under the interval
 * index, in place of the interval's raw reports. Two forms:
 * <ul>
 *   <li><em>Recent</em>: per worker that reported, its id, a 64-bit digest of the report merged, and what the
 *       report counted (requests sent and completed), so that a second copy arriving while workers may still
 *       re-send is told apart (same digest: a harmless re-delivery; another: a duplicate to refuse), and a new
 *       leader's per-worker counts include the interval.</li>
 *   <li><em>Sealed</em> ({@link #sealed}): the merge alone, once the interval is past every worker's re-send
 *       horizon; the per-worker counts moved into the run's {@link SealedCounts}. A copy arriving after that is
 *       known to be one (the interval's bit set names its worker) but no longer compared. What it costs per
 *       worker and interval drops from ~25 bytes (twice, with the backup) to one bit (ADR 0022).</li>
 * </ul>
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Self-contained: a new leader restores the interval from this entry alone and marks each named worker as
 *       reported; any raw report still stored for one of them is a copy of one already in here.</li>
 *   <li>The digest ({@link #digestOf}) is CRC-32C and CRC-32 of the report's bytes side by side: meant against
 *       accidents, not forgery (a worker that forges a collision only makes its own conflicting copy pass as a
 *       re-delivery, which changes nothing merged).</li>
 *   <li>Rewritten, never edited in place, when a late report for the interval arrives: the new entry names the
 *       old workers (a recent entry with their old digests), plus the new ones.</li>
 * </ul>
 *
 * <p>Encoded with {@link StateCodec}: format version, the merged interval's protobuf bytes, then whether it is
 * sealed, then (recent only) the number of workers and per worker its id, digest, and sent and completed counts
 * as varints.
 */
public final class CompactedInterval {

    private final MergedInterval merged;
    private final boolean sealed;
    private final String[] workerIds;
    private final long[] digests;
    private final long[] sent;
    private final long[] completed;

    /** What one worker's report counted, and its digest. */
    public record WorkerCounts(long digest, long sent, long completed) {}

    private CompactedInterval(MergedInterval merged, boolean sealed, Map<String, WorkerCounts> byWorker) {
        this.merged = merged;
        this.sealed = sealed;
        int n = byWorker.size();
        if (!sealed && n != merged.getWorkersReported()) {
            throw new IllegalArgumentException("interval " + merged.getIntervalIndex() + ": counts for " + n
                    + " workers, but its merge holds " + merged.getWorkersReported() + " reports");
        }
        workerIds = new String[n];
        digests = new long[n];
        sent = new long[n];
        completed = new long[n];
        int i = 0;
        for (Map.Entry<String, WorkerCounts> e : byWorker.entrySet()) {
            workerIds[i] = e.getKey();
            digests[i] = e.getValue().digest();
            sent[i] = e.getValue().sent();
            completed[i] = e.getValue().completed();
            i++;
        }
    }

    /**
     * A recent entry: the merge and, for each worker whose report it holds, that report's digest and counts.
     *
     * @throws IllegalArgumentException when the workers given are not as many as the merge holds reports
     */
    public static CompactedInterval recent(MergedInterval merged, Map<String, WorkerCounts> byWorker) {
        return new CompactedInterval(merged, false, byWorker);
    }

    /** A sealed entry: the merge alone. */
    public static CompactedInterval sealed(MergedInterval merged) {
        return new CompactedInterval(merged, true, Map.of());
    }

    /** Whether only the merge is kept (per-worker digests and counts are gone). */
    public boolean isSealed() {
        return sealed;
    }

    /** Each worker's digest and counts, by worker id; empty when sealed. */
    public Map<String, WorkerCounts> countsByWorker() {
        Map<String, WorkerCounts> byWorker = new HashMap<>(workerIds.length * 2);
        for (int i = 0; i < workerIds.length; i++) {
            byWorker.put(workerIds[i], new WorkerCounts(digests[i], sent[i], completed[i]));
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

    /** The worker's digest, or null when this recent entry does not hold that worker's report (or is sealed). */
    public Long digestOf(String workerId) {
        for (int i = 0; i < workerIds.length; i++) {
            if (workerIds[i].equals(workerId)) {
                return digests[i];
            }
        }
        return null;
    }

    public byte[] encode() {
        StateCodec.Writer w = new StateCodec.Writer().writeMessage(merged).writeBoolean(sealed);
        if (!sealed) {
            w.writeInt(workerIds.length);
            for (int i = 0; i < workerIds.length; i++) {
                w.writeString(workerIds[i])
                        .writeLong(digests[i])
                        .writeUnsignedVarLong(sent[i])
                        .writeUnsignedVarLong(completed[i]);
            }
        }
        return w.toByteArray();
    }

    public static CompactedInterval decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        MergedInterval merged = r.readMessage(MergedInterval.parser());
        if (r.readBoolean()) {
            return sealed(merged);
        }
        int n = r.readCount();
        Map<String, WorkerCounts> byWorker = new java.util.LinkedHashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            String id = r.readString();
            byWorker.put(id, new WorkerCounts(r.readLong(), r.readUnsignedVarLong(), r.readUnsignedVarLong()));
        }
        return recent(merged, byWorker);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompactedInterval other
                && merged.equals(other.merged)
                && sealed == other.sealed
                && countsByWorker().equals(other.countsByWorker());
    }

    @Override
    public int hashCode() {
        return Objects.hash(merged, sealed, countsByWorker());
    }

    @Override
    public String toString() {
        return "CompactedInterval[" + merged.getIntervalIndex() + ", " + merged.getWorkersReported() + " workers"
                + (sealed ? ", sealed]" : "]");
    }
}
