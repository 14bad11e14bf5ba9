package io.salvo.coordinator.spill;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One run's spilled state on this coordinator's disk: an append-only file of records, each a sealed interval's entry
 * (key: the interval index) or a live snapshot (key: its sequence), written in batches that the run's leader numbers.
 * A key written again later (a late report folded into a sealed interval, spilled once more) supersedes what came
 * before it: the file is read in order and the last record of a key wins. Only an offset per key stays in memory
 * (8 bytes per interval and per snapshot), so what a run holds on the heap no longer grows with its length.
 *
 * <p>Record: kind (1 byte), key (8), payload length (4), payload, CRC32C of all before it (4). A batch is written in
 * one write and ends with a batch record (key: the batch number, no payload), then forced to disk. A file copied from
 * a peer is read the same way; a torn or corrupt tail is cut off at the first record that does not check.
 */
public final class RunSegment implements AutoCloseable {

    static final byte ENTRY = 1;
    static final byte SNAPSHOT = 2;
    static final byte BATCH_END = 3;
    private static final int HEADER = 1 + 8 + 4;
    private static final int TRAILER = 4;
    /** A payload larger than this is corruption (entries and snapshots are a few KB; bodies never come here). */
    private static final int MAX_PAYLOAD = 64 << 20;

    private final Path file;
    private FileChannel channel;
    private final KeyOffsets entries = new KeyOffsets();
    private final KeyOffsets snapshots = new KeyOffsets();
    /** The batches held, each with all before it; volatile: a peer's status question must never wait for a copy. */
    private volatile long batches;

    private long length;

    private RunSegment(Path file) {
        this.file = file;
    }

    /** Opens (or creates) the segment at {@code file}, reading what a previous writer left there. */
    static RunSegment open(Path file) {
        RunSegment segment = new RunSegment(file);
        try {
            segment.channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            segment.reindex();
        } catch (IOException e) {
            segment.close();
            throw new UncheckedIOException("cannot open spill segment " + file, e);
        }
        return segment;
    }

    /** A batch's records, encoded once by the leader and appended as they are by every member. */
    public static byte[] encodeBatch(long batch, Map<Long, byte[]> entries, Map<Long, byte[]> snapshots) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (var e : new TreeMap<>(entries).entrySet()) {
                writeRecord(out, ENTRY, e.getKey(), e.getValue());
            }
            for (var e : new TreeMap<>(snapshots).entrySet()) {
                writeRecord(out, SNAPSHOT, e.getKey(), e.getValue());
            }
            writeRecord(out, BATCH_END, batch, new byte[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeRecord(DataOutputStream out, byte kind, long key, byte[] payload) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(HEADER).put(kind).putLong(key).putInt(payload.length);
        CRC32C crc = new CRC32C();
        crc.update(head.array());
        crc.update(payload);
        out.write(head.array());
        out.write(payload);
        out.writeInt((int) crc.getValue());
    }

    /**
     * Appends a batch encoded by {@link #encodeBatch} and forces it to disk. Refuses bytes that are not whole, valid
     * records ending in a batch record: nothing of them is written then.
     */
    public synchronized void append(byte[] batch) {
        long batchNumber = validBatch(batch);
        if (batchNumber > batches + 1) {
            throw new IllegalStateException(
                    "spill batch " + batchNumber + " does not follow batch " + batches + " held in " + file);
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(batch);
            long at = length;
            while (buffer.hasRemaining()) {
                at += channel.write(buffer, at);
            }
            channel.force(false);
            index(ByteBuffer.wrap(batch), length);
            length = at;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to spill segment " + file, e);
        }
    }

    /** The number an encoded batch ends with (its batch record's key); refuses bytes that are not a whole batch. */
    public static long batchNumberOf(byte[] batch) {
        return validBatch(batch);
    }

    /** The batch number a valid encoded batch ends with. */
    private static long validBatch(byte[] batch) {
        ByteBuffer buffer = ByteBuffer.wrap(batch);
        long last = -1;
        byte lastKind = 0;
        while (buffer.hasRemaining()) {
            int start = buffer.position();
            Header r = Header.read(buffer);
            if (r == null) {
                throw new IllegalArgumentException(
                        "spill batch is not whole records (bad record at byte " + start + ")");
            }
            lastKind = r.kind;
            last = r.key;
        }
        if (lastKind != BATCH_END) {
            throw new IllegalArgumentException("spill batch does not end with its batch record");
        }
        return last;
    }

    /** The highest batch this segment holds, with every batch before it. */
    public long batches() {
        return batches;
    }

    /** The segment's length in bytes: what a copy of it must read. */
    public synchronized long length() {
        return length;
    }

    /** The latest spilled entry of this interval, or null. */
    public synchronized byte[] entry(long intervalIndex) {
        long at = entries.get(intervalIndex);
        return at < 0 ? null : payloadAt(at);
    }

    /** The spilled snapshot of this sequence, or null. */
    public synchronized byte[] snapshot(long sequence) {
        long at = snapshots.get(sequence);
        return at < 0 ? null : payloadAt(at);
    }

    /** Every spilled interval's latest entry, by index. */
    public synchronized NavigableMap<Long, byte[]> entries() {
        return readAll(entries);
    }

    /** Every spilled snapshot, by sequence. */
    public synchronized NavigableMap<Long, byte[]> snapshots() {
        return readAll(snapshots);
    }

    private NavigableMap<Long, byte[]> readAll(KeyOffsets offsets) {
        NavigableMap<Long, byte[]> all = new TreeMap<>();
        offsets.forEach((key, at) -> all.put(key, payloadAt(at)));
        return all;
    }

    private byte[] payloadAt(long at) {
        try {
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            readFully(head, at);
            int size = head.getInt(9);
            ByteBuffer payload = ByteBuffer.allocate(size);
            readFully(payload, at + HEADER);
            return payload.array();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spill segment " + file, e);
        }
    }

    private void readFully(ByteBuffer buffer, long at) throws IOException {
        long position = at;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("spill segment " + file + " ends at " + position);
            }
            position += n;
        }
    }

    /** Up to {@code max} bytes of the file from {@code offset}: a peer copies the segment with this. */
    public synchronized byte[] read(long offset, int max) {
        int size = (int) Math.max(0, Math.min(max, length - offset));
        ByteBuffer buffer = ByteBuffer.allocate(size);
        try {
            readFully(buffer, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spill segment " + file, e);
        }
        return buffer.array();
    }

    /**
     * Replaces this segment by a copy of a peer's, written to {@code copy} (a file next to this one) by the caller:
     * a member that joined late (or missed batches) takes the run's whole spilled state from a member that has it.
     * What the copy holds of a torn tail is cut off. A copy with fewer batches than {@code atLeast}, or than this
     * segment holds, is refused (deleted, this segment kept). Returns the batches held after.
     */
    public synchronized long replaceWith(Path copy, long atLeast) {
        long held;
        try (RunSegment candidate = open(copy)) {
            held = candidate.batches;
        }
        try {
            if (held < atLeast || held < batches) {
                Files.deleteIfExists(copy);
                throw new IllegalStateException("a copied spill segment holds " + held + " batches; " + file + " holds "
                        + batches + " and needs " + atLeast + ": kept as it was");
            }
            channel.close();
            try {
                Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                // The copy, or the segment as it was when the move failed: never left closed.
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                reindex();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace spill segment " + file, e);
        }
        return batches;
    }

    /** Reads the whole file into the indexes, cutting it at the first record that does not check. */
    private void reindex() throws IOException {
        lastBatchEnd = 0;
        entries.clear();
        snapshots.clear();
        batches = 0;
        long size = channel.size();
        long at = 0;
        List<long[]> pending = new ArrayList<>();
        ByteBuffer head = ByteBuffer.allocate(HEADER);
        while (at + HEADER + TRAILER <= size) {
            head.clear();
            readFully(head, at);
            int payload = head.getInt(9);
            if (payload < 0 || payload > MAX_PAYLOAD || at + HEADER + payload + TRAILER > size) {
                break;
            }
            ByteBuffer whole = ByteBuffer.allocate(HEADER + payload + TRAILER);
            readFully(whole, at);
            whole.flip();
            Header r = Header.read(whole);
            if (r == null) {
                break;
            }
            if (r.kind == BATCH_END && r.key > batches + 1) {
                break; // a gap: what follows is not this run's next batch
            }
            // A batch's records count once its batch record is read: a torn batch adds nothing.
            pending.add(new long[] {r.kind, r.key, at});
            if (r.kind == BATCH_END) {
                for (long[] p : pending) {
                    note(new Header((byte) p[0], p[1]), p[2]);
                }
                pending.clear();
            }
            at += whole.capacity();
        }
        // Records after the last batch record were never acknowledged: drop them with any torn tail.
        long end = lastBatchEnd;
        if (end < size) {
            channel.truncate(end);
        }
        length = end;
        lastBatchEnd = 0;
    }

    /** During {@link #reindex}: the end of the last batch record read. */
    private long lastBatchEnd;

    private void index(ByteBuffer records, long base) {
        while (records.hasRemaining()) {
            int start = records.position();
            Header r = Header.read(records);
            if (r == null) {
                throw new IllegalStateException("validated batch did not read back");
            }
            note(r, base + start);
        }
    }

    private void note(Header r, long at) {
        switch (r.kind) {
            case ENTRY -> entries.put(r.key, at);
            case SNAPSHOT -> snapshots.put(r.key, at);
            case BATCH_END -> {
                // A batch may be written twice (a spill retried after a member failed it): never a gap.
                if (r.key > batches + 1) {
                    throw new IllegalStateException("spill batch " + r.key + " follows batch " + batches);
                }
                batches = Math.max(batches, r.key);
                lastBatchEnd = at + HEADER + TRAILER;
            }
            default -> throw new IllegalStateException("unknown spill record kind " + r.kind);
        }
    }

    /** Closes the file; the segment is unusable after. */
    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Closing a read/write channel we never use again: nothing to recover.
            }
        }
    }

    /** A record's kind and key; its payload is read by offset when needed. */
    private record Header(byte kind, long key) {

        /** Reads a whole record at the buffer's position, checking it; null (position unspecified) if it does not. */
        static Header read(ByteBuffer buffer) {
            int start = buffer.position();
            if (buffer.remaining() < HEADER + TRAILER) {
                return null;
            }
            byte kind = buffer.get();
            long key = buffer.getLong();
            int size = buffer.getInt();
            if (kind < ENTRY
                    || kind > BATCH_END
                    || size < 0
                    || size > MAX_PAYLOAD
                    || buffer.remaining() < size + TRAILER) {
                return null;
            }
            CRC32C crc = new CRC32C();
            crc.update(buffer.array(), buffer.arrayOffset() + start, HEADER + size);
            buffer.position(buffer.position() + size);
            if (buffer.getInt() != (int) crc.getValue()) {
                return null;
            }
            return new Header(kind, key);
        }
    }

    /** Offsets by key, for keys that are small and dense (interval indexes, snapshot sequences): 8 bytes a key. */
    private static final class KeyOffsets {
        private long[] offsets = new long[0];

        void put(long key, long offset) {
            if (key < 0 || key >= Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("spill key out of range: " + key);
            }
            if (key >= offsets.length) {
                int grown = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(key + 1, offsets.length * 2L));
                int old = offsets.length;
                offsets = Arrays.copyOf(offsets, Math.max(grown, 64));
                Arrays.fill(offsets, old, offsets.length, -1);
            }
            offsets[(int) key] = offset;
        }

        long get(long key) {
            return key < 0 || key >= offsets.length ? -1 : offsets[(int) key];
        }

        void forEach(java.util.function.BiConsumer<Long, Long> action) {
            for (int i = 0; i < offsets.length; i++) {
                if (offsets[i] >= 0) {
                    action.accept((long) i, offsets[i]);
                }
            }
        }

        void clear() {
            offsets = new long[0];
        }
    }
}
