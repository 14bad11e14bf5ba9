package io.salvo.core.histogram;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.HdrHistogram.Histogram;

/**
 * Encodes and strictly decodes the histograms that travel between workers and the coordinator.
 *
 * <p>Every Salvo histogram covers 1 µs to 1 h with 3 significant digits, so two of them always add
 * exactly. Decoding inflates the payload itself, with a size bound, and checks the header before it
 * lets HdrHistogram allocate anything: a hostile or corrupt payload must not make the coordinator
 * allocate gigabytes or merge values with a different precision.
 */
public final class HistogramCodec {

    private static final long LOWEST_MICROS = HistogramSpec.LOWEST_MICROS;
    private static final long HIGHEST_MICROS = HistogramSpec.HIGHEST_MICROS;
    private static final int SIGNIFICANT_DIGITS = HistogramSpec.SIGNIFICANT_DIGITS;

    /** Cookies of HdrHistogram's V2 encoding (see AbstractHistogram). */
    private static final int V2_COMPRESSED_COOKIE_BASE = 0x1c849304;

    private static final int V2_ENCODING_COOKIE_BASE = 0x1c849303;
    /** Inner header: cookie, payload length, normalizing offset, digits, lowest, highest, ratio. */
    private static final int V2_HEADER_BYTES = 40;
    /** A full 1 µs–1 h histogram, every counter in use, LEB128-encoded, is well under this. */
    private static final int MAX_INFLATED_BYTES = 1 << 20;

    private HistogramCodec() {}

    /** HdrHistogram's compressed encoding, as {@code OutcomeHistograms} and {@code IntervalReport} carry it. */
    public static ByteString encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return ByteString.copyFrom(buffer.array(), 0, length);
    }

    /** {@link #decode(byte[])} straight from a message's bytes field. */
    public static Histogram decode(ByteString compressed) throws CorruptHistogramException {
        return decode(compressed.toByteArray());
    }

    /**
     * Decodes a compressed histogram produced by {@link #encode} (or by HdrHistogram's own
     * {@code encodeIntoCompressedByteBuffer} with Salvo's range and precision).
     *
     * @throws CorruptHistogramException naming what is wrong with the payload
     */
    public static Histogram decode(byte[] compressed) throws CorruptHistogramException {
        ByteBuffer inner = inflatedPayload(ByteBuffer.wrap(compressed));
        Histogram histogram;
        try {
            histogram = Histogram.decodeFromByteBuffer(inner, HIGHEST_MICROS);
        } catch (RuntimeException e) {
            throw new CorruptHistogramException("histogram counts are corrupt: " + e);
        }
        if (histogram.getTotalCount() < 0) {
            throw new CorruptHistogramException("histogram has a negative total count");
        }
        for (var value : histogram.recordedValues()) {
            if (value.getCountAtValueIteratedTo() < 0) {
                throw new CorruptHistogramException(
                        "histogram has a negative count at " + value.getValueIteratedTo() + " us");
            }
        }
        return histogram;
    }

    /**
     * Decodes a compressed histogram into its non-zero buckets only, without allocating a full
     * 1 µs–1 h counts array (~188 KB). Merging a typical worker report then costs a few hundred
     * bucket updates instead of three full-array allocations and scans; this is what lets one
     * coordinator merge a thousand workers per second. Validation is the same as {@link #decode}.
     */
    public static SparseHistogram decodeSparse(byte[] compressed) throws CorruptHistogramException {
        return decodeSparse(ByteBuffer.wrap(compressed));
    }

    /** {@link #decodeSparse(byte[])} straight from a message's bytes field, without copying it first. */
    public static SparseHistogram decodeSparse(ByteString compressed) throws CorruptHistogramException {
        return decodeSparse(compressed.asReadOnlyByteBuffer());
    }

    private static SparseHistogram decodeSparse(ByteBuffer compressed) throws CorruptHistogramException {
        ByteBuffer inner = inflatedPayload(compressed.duplicate());
        if (inner.getInt(8) != 0) {
            // Salvo never shifts histograms; a normalizing offset means a foreign encoder. Take the slow path.
            byte[] copy = new byte[compressed.remaining()];
            compressed.duplicate().get(copy);
            return SparseHistogram.of(decode(copy));
        }
        // Straight from the scratch array: this loop runs for every bucket of every report.
        byte[] in = inner.array();
        int pos = inner.arrayOffset() + V2_HEADER_BYTES;
        int end = pos + inner.getInt(4);
        int[] indices = SPARSE_INDICES.get();
        long[] counts = SPARSE_COUNTS.get();
        int size = 0;
        long index = 0;
        long total = 0;
        while (pos < end) {
            // HdrHistogram's ZigZag LEB128 long: up to 9 bytes, the ninth contributing all 8 bits.
            long raw = 0;
            for (int shift = 0; ; shift += 7) {
                if (pos >= end) {
                    throw new CorruptHistogramException("histogram counts end in the middle of a number");
                }
                long b = in[pos++];
                if (shift == 56) {
                    raw |= (b & 0xFF) << 56;
                    break;
                }
                raw |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            long count = (raw >>> 1) ^ -(raw & 1);
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new CorruptHistogramException("histogram has an impossible run of zeros");
                }
                index += -count;
                continue;
            }
            if (count > 0) {
                if (index < 0 || index > MAX_BUCKET_INDEX) { // negative: a run of zeros that overflowed
                    throw new CorruptHistogramException("histogram has counts beyond 1 h (bucket " + index + ")");
                }
                if (total > Long.MAX_VALUE - count) {
                    throw new CorruptHistogramException("histogram total count overflows");
                }
                if (size == indices.length) {
                    indices = java.util.Arrays.copyOf(indices, size * 2);
                    counts = java.util.Arrays.copyOf(counts, size * 2);
                    SPARSE_INDICES.set(indices);
                    SPARSE_COUNTS.set(counts);
                }
                indices[size] = (int) index;
                counts[size] = count;
                size++;
                total += count;
            }
            index++;
            if (index > MAX_BUCKET_INDEX + 1) {
                throw new CorruptHistogramException("histogram has more buckets than 1 us..1 h allows");
            }
        }
        return new SparseHistogram(
                java.util.Arrays.copyOf(indices, size), java.util.Arrays.copyOf(counts, size), total);
    }

    /** Index of the bucket holding 1 h, the last one a valid Salvo histogram can use. */
    static final int MAX_BUCKET_INDEX = indexOf(HIGHEST_MICROS);

    /**
     * The lowest value of counts-array bucket {@code index} for lowest value 1 and 3 significant
     * digits (sub-bucket count 2048, half count 1024), mirroring HdrHistogram's own index layout.
     */
    static long valueAtIndex(long index) {
        long bucket = (index >> 10) - 1;
        long subBucket = (index & 1023) + 1024;
        if (bucket < 0) {
            subBucket -= 1024;
            bucket = 0;
        }
        if (bucket > 40) {
            return Long.MAX_VALUE;
        }
        return subBucket << bucket;
    }

    /**
     * The counts-array index of the bucket holding {@code value} (0 ≤ value ≤ 1 h): the inverse of
     * {@link #valueAtIndex}, as HdrHistogram computes it for unit magnitude 0 and half count 1024.
     */
    static int indexOf(long value) {
        int bucket = 53 - Long.numberOfLeadingZeros(value | 2047);
        long subBucket = value >>> bucket;
        return (int) (((long) (bucket + 1) << 10) + subBucket - 1024);
    }

    /**
     * Inflates and checks the header; returns the inner buffer (big-endian, position 0), which is
     * this thread's scratch space and valid until its next decode.
     */
    private static ByteBuffer inflatedPayload(ByteBuffer outer) throws CorruptHistogramException {
        int length = outer.remaining();
        if (length < 8) {
            throw new CorruptHistogramException("payload of " + length + " bytes is too short");
        }
        outer.order(ByteOrder.BIG_ENDIAN);
        int cookie = outer.getInt();
        if ((cookie & ~0xf0) != V2_COMPRESSED_COOKIE_BASE) {
            throw new CorruptHistogramException(
                    "not a compressed HdrHistogram (cookie " + Integer.toHexString(cookie) + ")");
        }
        int deflatedLength = outer.getInt();
        if (deflatedLength < 0 || deflatedLength > length - 8) {
            throw new CorruptHistogramException("compressed length " + deflatedLength + " exceeds the payload");
        }
        outer.limit(outer.position() + deflatedLength);
        ByteBuffer inner = inflate(outer);
        int inflatedLength = inner.limit();
        if (inflatedLength < V2_HEADER_BYTES) {
            throw new CorruptHistogramException("histogram header is truncated");
        }
        int innerCookie = inner.getInt(0);
        if ((innerCookie & ~0xf0) != V2_ENCODING_COOKIE_BASE) {
            throw new CorruptHistogramException(
                    "unsupported histogram encoding (cookie " + Integer.toHexString(innerCookie) + ")");
        }
        int payloadLength = inner.getInt(4);
        int digits = inner.getInt(12);
        long lowest = inner.getLong(16);
        long highest = inner.getLong(24);
        if (digits != SIGNIFICANT_DIGITS || lowest != LOWEST_MICROS || highest != HIGHEST_MICROS) {
            throw new CorruptHistogramException("histogram precision must be 1 us..1 h with 3 digits, got " + lowest
                    + ".." + highest + " with " + digits + " digits");
        }
        if (payloadLength < 0 || payloadLength != inflatedLength - V2_HEADER_BYTES) {
            throw new CorruptHistogramException("histogram payload length " + payloadLength + " does not match the "
                    + (inflatedLength - V2_HEADER_BYTES) + " bytes present");
        }
        return inner;
    }

    /**
     * One Inflater per thread, reset between uses: creating and ending zlib state per histogram cost
     * more than decoding the histogram itself.
     */
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(Inflater::new);

    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[16 * 1024]);
    /** Sparse decoding collects buckets here and copies out exactly as many as it found. */
    private static final ThreadLocal<int[]> SPARSE_INDICES = ThreadLocal.withInitial(() -> new int[512]);

    private static final ThreadLocal<long[]> SPARSE_COUNTS = ThreadLocal.withInitial(() -> new long[512]);

    /** Inflates the buffer's remaining bytes into this thread's scratch space; returns a view of the result. */
    private static ByteBuffer inflate(ByteBuffer source) throws CorruptHistogramException {
        Inflater inflater = INFLATERS.get();
        inflater.reset();
        try {
            inflater.setInput(source);
            byte[] out = SCRATCH.get();
            int total = 0;
            while (!inflater.finished()) {
                if (total == out.length) {
                    if (out.length >= MAX_INFLATED_BYTES) {
                        throw new CorruptHistogramException(
                                "histogram inflates beyond " + MAX_INFLATED_BYTES + " bytes");
                    }
                    out = java.util.Arrays.copyOf(out, Math.min(MAX_INFLATED_BYTES, out.length * 2));
                    SCRATCH.set(out);
                }
                int n = inflater.inflate(out, total, out.length - total);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new CorruptHistogramException("compressed histogram is truncated");
                }
                total += n;
            }
            return ByteBuffer.wrap(out, 0, total).order(ByteOrder.BIG_ENDIAN);
        } catch (DataFormatException e) {
            throw new CorruptHistogramException("compressed histogram is not valid deflate data: " + e.getMessage());
        } finally {
            inflater.reset();
        }
    }

    /** A histogram payload that cannot be merged. */
    public static final class CorruptHistogramException extends Exception {
        private static final long serialVersionUID = 1L;

        public CorruptHistogramException(String message) {
            super(message);
        }
    }
}
