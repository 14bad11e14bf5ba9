package io.salvo.coordinator.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.salvo.coordinator.spill.RunSegment;
import io.salvo.coordinator.spill.SpillDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sealed intervals and old live snapshots of running runs, moved off the replicated maps onto every coordinator's disk
 * ({@link SpillDirectory}): what a run holds on the heap then stays flat however long it runs (see
 * docs/architecture.md, "Spilled to disk", and ADR 0024).
 *
 * <p>The leader spills in numbered batches: it appends a batch to its own segment, has every other member append the
 * same bytes ({@link Append}), and only once all of them answered records the batch count in
 * {@value #BATCHES_MAP} (run id → count; the higher count survives a healed partition); the caller removes the
 * spilled entries from the maps after that. Every member of the cluster at that moment holds every spilled batch. A
 * member that lacks batches copies a whole segment from a member that has them: when it starts (for every running
 * run, before it serves), when a batch it receives does not follow its last, and before it reads spilled state while
 * its own is behind the recorded count.
 */
public final class SpillReplicas {

    private static final Logger LOG = Logger.getLogger(SpillReplicas.class.getName());
    static final String USER_CONTEXT_KEY = "salvo.spill";
    static final String EXECUTOR = "salvo.spill";
    /** Run id → how many spilled batches every member holds (8 bytes, big-endian). */
    public static final String BATCHES_MAP = "salvo.spilled-batches";

    private static final int COPY_CHUNK = 1 << 20;
    /**
     * How long the leader waits for a member to append a batch (a few ms normally; a member that joined copies the
     * segment first). The leader's pass runs on the coordinator's housekeeping thread: a stalled member costs this
     * per try, and tries are spaced by {@code Compaction.SPILL_RETRY_NANOS}.
     */
    private static final long APPEND_TIMEOUT_SECONDS = 10;

    private static final long QUESTION_TIMEOUT_SECONDS = 10;

    private final HazelcastInstance hz;
    private final SpillDirectory local;

    SpillReplicas(HazelcastInstance hz, SpillDirectory local) {
        this.hz = hz;
        this.local = local;
    }

    SpillDirectory local() {
        return local;
    }

    /** The bytes this coordinator holds on disk for running runs. */
    public long bytesOnDisk() {
        return local.bytesOnDisk();
    }

    /**
     * Spills a batch of a run's sealed entries and snapshots to every member; true once every member that is still in
     * the cluster holds it and the batch count is recorded (the caller may then remove them from the maps).
     */
    boolean spill(String runId, Map<Long, byte[]> entries, Map<Long, byte[]> snapshots) {
        long recorded = recordedBatches(runId);
        if (ensureComplete(runId, recorded) != Completeness.COMPLETE) {
            LOG.warning(() -> "run " + runId + ": this coordinator lacks spilled batches; not spilling more yet");
            return false;
        }
        long batch = recorded + 1;
        byte[] bytes = RunSegment.encodeBatch(batch, entries, snapshots);
        local.segment(runId).append(bytes);
        UUID self = hz.getCluster().getLocalMember().getUuid();
        Map<Member, Future<Long>> answers = new LinkedHashMap<>();
        for (Member member : hz.getCluster().getMembers()) {
            if (!member.localMember()) {
                answers.put(member, executor().submitToMember(new Append(runId, bytes, self), member));
            }
        }
        for (var answer : answers.entrySet()) {
            try {
                long held = answer.getValue().get(APPEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (held < batch) {
                    LOG.warning(
                            () -> "run " + runId + ": member " + answer.getKey().getAddress() + " holds spill batch "
                                    + held + " after appending " + batch + "; not removed from the maps yet");
                    return false;
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof MemberLeftException
                        || !hz.getCluster().getMembers().contains(answer.getKey())) {
                    continue; // gone: it holds nothing any more; if it comes back it copies what it needs
                }
                LOG.warning(() -> "run " + runId + ": member " + answer.getKey().getAddress()
                        + " could not append spill batch " + batch + " (" + e.getCause() + "); tried again later");
                return false;
            } catch (TimeoutException e) {
                LOG.warning(() -> "run " + runId + ": member " + answer.getKey().getAddress()
                        + " did not append spill batch " + batch + " within " + APPEND_TIMEOUT_SECONDS + " s");
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        batches().set(runId, encodeCount(batch));
        return true;
    }

    /** The latest spilled entry of this interval, or null when none was spilled. */
    byte[] entry(String runId, long intervalIndex) {
        RunSegment segment = completeSegment(runId);
        return segment == null ? null : segment.entry(intervalIndex);
    }

    /** Every spilled entry of the run, by interval index (empty when none was spilled). */
    NavigableMap<Long, byte[]> entries(String runId) {
        RunSegment segment = completeSegment(runId);
        return segment == null ? new TreeMap<>() : segment.entries();
    }

    /** These intervals' latest spilled entries, by index; those never spilled are absent. */
    Map<Long, byte[]> entries(String runId, Set<Long> intervalIndexes) {
        return read(runId, intervalIndexes, RunSegment::entry);
    }

    /** Every spilled snapshot of the run, by sequence (empty when none was spilled). */
    public NavigableMap<Long, byte[]> snapshots(String runId) {
        RunSegment segment = completeSegment(runId);
        return segment == null ? new TreeMap<>() : segment.snapshots();
    }

    /** These spilled snapshots, by sequence; those never spilled are absent. */
    public Map<Long, byte[]> snapshots(String runId, Set<Long> sequences) {
        return read(runId, sequences, RunSegment::snapshot);
    }

    private Map<Long, byte[]> read(String runId, Set<Long> keys, BiFunction<RunSegment, Long, byte[]> reader) {
        RunSegment segment = completeSegment(runId);
        Map<Long, byte[]> found = new TreeMap<>();
        if (segment != null) {
            for (long key : keys) {
                byte[] bytes = reader.apply(segment, key);
                if (bytes != null) {
                    found.put(key, bytes);
                }
            }
        }
        return found;
    }

    /**
     * This member's segment of the run with every recorded batch (copied from a peer first if needed), or null when
     * nothing of the run was spilled. Throws when a peer holds the batches but copying them failed (a read then fails
     * and is retried, as a failed map read is); when no member holds them any more, returns what this one has
     * (logged: those intervals are lost, as entries are when both copies of a map partition go).
     */
    private RunSegment completeSegment(String runId) {
        long recorded = recordedBatches(runId);
        if (recorded == 0) {
            return local.existing(runId);
        }
        switch (ensureComplete(runId, recorded)) {
            case COMPLETE -> {}
            case LOST ->
                LOG.warning(() -> "run " + runId + ": no coordinator holds all " + recorded
                        + " spilled batches any more; what they held is missing");
            case FAILED ->
                throw new IllegalStateException("run " + runId + ": copying its " + recorded
                        + " spilled batches from another coordinator failed; try again");
        }
        return local.segment(runId);
    }

    /**
     * Copies, for every run with spilled batches, a segment this member lacks from a member that has it: a coordinator
     * that joins (a restart, a rolling update) holds the spilled state before it serves, as Hazelcast's migration gives
     * it its share of the maps' backups.
     */
    void catchUp() {
        for (var e : batches().entrySet()) {
            String runId = e.getKey();
            long recorded = decodeCount(e.getValue());
            Completeness done = ensureComplete(runId, recorded);
            if (done != Completeness.COMPLETE) {
                LOG.warning(() -> "run " + runId + ": could not copy its " + recorded + " spilled batches at start ("
                        + done + "); copied when next needed");
            }
        }
    }

    /** Deletes the run's segment on every member and forgets its batch count (its run was archived); does not wait. */
    void deleteEverywhere(String runId) {
        try {
            batches().delete(runId);
            executor().executeOnAllMembers(new Delete(runId));
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "spill delete not sent", e);
        }
        local.delete(runId);
    }

    private long recordedBatches(String runId) {
        byte[] bytes = batches().get(runId);
        return bytes == null ? 0 : decodeCount(bytes);
    }

    private enum Completeness {
        COMPLETE,
        /** No member still in the cluster holds the recorded batches. */
        LOST,
        /** A member that holds them could not be asked or copied from. */
        FAILED
    }

    /** Whether this member holds at least {@code recorded} batches of the run, after copying them from a peer. */
    private Completeness ensureComplete(String runId, long recorded) {
        if (recorded == 0) {
            return Completeness.COMPLETE;
        }
        RunSegment segment = local.segment(runId);
        synchronized (segment) {
            if (segment.batches() >= recorded) {
                return Completeness.COMPLETE;
            }
            boolean failed = false;
            for (Member member : hz.getCluster().getMembers()) {
                if (member.localMember()) {
                    continue;
                }
                try {
                    long held = executor()
                            .submitToMember(new Status(runId), member)
                            .get(QUESTION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    if (held >= recorded) {
                        copyFrom(member, runId, segment, recorded);
                        return Completeness.COMPLETE;
                    }
                } catch (ExecutionException | TimeoutException | RuntimeException e) {
                    failed = true;
                    LOG.log(
                            Level.WARNING,
                            "run " + runId + ": copying spilled state from " + member.getAddress() + " failed",
                            e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Completeness.FAILED;
                }
            }
            return failed ? Completeness.FAILED : Completeness.LOST;
        }
    }

    /** Replaces this member's segment of the run by a copy of {@code source}'s, read in chunks; checked before use. */
    private void copyFrom(Member source, String runId, RunSegment segment, long atLeast)
            throws ExecutionException, TimeoutException, InterruptedException {
        Path copy = local.copyFileFor(runId);
        try (OutputStream out = Files.newOutputStream(copy)) {
            long offset = 0;
            while (true) {
                byte[] chunk = executor()
                        .submitToMember(new Chunk(runId, offset, COPY_CHUNK), source)
                        .get(QUESTION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (chunk.length == 0) {
                    break;
                }
                out.write(chunk);
                offset += chunk.length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a copy of run " + runId + "'s spill segment", e);
        }
        long held = segment.replaceWith(copy, atLeast);
        LOG.info(
                () -> "run " + runId + ": copied " + held + " spilled batches from coordinator " + source.getAddress());
    }

    private IExecutorService executor() {
        return hz.getExecutorService(EXECUTOR);
    }

    private IMap<String, byte[]> batches() {
        return hz.getMap(BATCHES_MAP);
    }

    static byte[] encodeCount(long count) {
        return ByteBuffer.allocate(8).putLong(count).array();
    }

    static long decodeCount(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getLong();
    }

    /** The spill state of the member a task runs on (placed in its user context before it joined). */
    private static SpillReplicas on(HazelcastInstance hz) {
        Object local = hz.getUserContext().get(USER_CONTEXT_KEY);
        if (!(local instanceof SpillDirectory directory)) {
            throw new IllegalStateException("this coordinator keeps no spilled state");
        }
        return new SpillReplicas(hz, directory);
    }

    /**
     * How {@value #BATCHES_MAP} merges when a partition heals: the higher count survives, so a member whose segment is
     * behind the side that went on spilling copies that side's (only the side that compacts spills; ADR 0017).
     */
    public static final class HigherCount implements SplitBrainMergePolicy<byte[], MergingValue<byte[]>, Object> {

        @Override
        public Object merge(MergingValue<byte[]> merging, MergingValue<byte[]> existing) {
            if (existing == null) {
                return merging.getRawValue();
            }
            byte[] mergingCount = merging.getDeserializedValue();
            byte[] existingCount = existing.getDeserializedValue();
            return count(mergingCount) > count(existingCount) ? merging.getRawValue() : existing.getRawValue();
        }

        private static long count(byte[] bytes) {
            return bytes == null || bytes.length != 8 ? -1 : decodeCount(bytes);
        }

        @Override
        public void writeData(ObjectDataOutput out) {
            // stateless
        }

        @Override
        public void readData(ObjectDataInput in) {
            // stateless
        }
    }

    /** Base of the tasks members run for each other: which run, and the member they run on. */
    private abstract static class RunTask<T> implements Callable<T>, DataSerializable, HazelcastInstanceAware {
        String runId;
        transient HazelcastInstance hz;

        @Override
        public void setHazelcastInstance(HazelcastInstance hazelcastInstance) {
            this.hz = hazelcastInstance;
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            out.writeString(runId);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            runId = in.readString();
        }
    }

    /** Appends a batch to this member's segment, copying the segment from the sender first when batches are missing. */
    public static final class Append extends RunTask<Long> {
        private byte[] batch;
        private UUID source;

        public Append() {}

        Append(String runId, byte[] batch, UUID source) {
            this.runId = runId;
            this.batch = batch;
            this.source = source;
        }

        @Override
        public Long call() throws Exception {
            SpillReplicas replicas = on(hz);
            RunSegment segment = replicas.local.segment(runId);
            synchronized (segment) {
                long number = RunSegment.batchNumberOf(batch);
                if (segment.batches() < number - 1) {
                    Member sender = hz.getCluster().getMembers().stream()
                            .filter(m -> m.getUuid().equals(source))
                            .findFirst()
                            .orElseThrow(() -> new IllegalStateException("the sender of a spill batch left"));
                    replicas.copyFrom(sender, runId, segment, number - 1);
                }
                segment.append(batch);
                return segment.batches();
            }
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            super.writeData(out);
            out.writeByteArray(batch);
            out.writeLong(source.getMostSignificantBits());
            out.writeLong(source.getLeastSignificantBits());
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            super.readData(in);
            batch = in.readByteArray();
            source = new UUID(in.readLong(), in.readLong());
        }
    }

    /** How many batches of the run this member holds; never waits for a copy under way. */
    public static final class Status extends RunTask<Long> {
        public Status() {}

        Status(String runId) {
            this.runId = runId;
        }

        @Override
        public Long call() {
            RunSegment segment = on(hz).local.existing(runId);
            return segment == null ? 0L : segment.batches();
        }
    }

    /** A chunk of this member's segment of the run, for a member copying it. */
    public static final class Chunk extends RunTask<byte[]> {
        private long offset;
        private int max;

        public Chunk() {}

        Chunk(String runId, long offset, int max) {
            this.runId = runId;
            this.offset = offset;
            this.max = max;
        }

        @Override
        public byte[] call() {
            RunSegment segment = on(hz).local.existing(runId);
            return segment == null ? new byte[0] : segment.read(offset, max);
        }

        @Override
        public void writeData(ObjectDataOutput out) throws IOException {
            super.writeData(out);
            out.writeLong(offset);
            out.writeInt(max);
        }

        @Override
        public void readData(ObjectDataInput in) throws IOException {
            super.readData(in);
            offset = in.readLong();
            max = in.readInt();
        }
    }

    /** Deletes this member's segment of the run. */
    public static final class Delete extends RunTask<Void> implements Runnable {
        public Delete() {}

        Delete(String runId) {
            this.runId = runId;
        }

        @Override
        public Void call() {
            on(hz).local.delete(runId);
            return null;
        }

        @Override
        public void run() {
            call();
        }
    }
}
