package io.salvo.coordinator.merge;

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

    public static final long LOWEST_MICROS = 1;
    public static final long HIGHEST_MICROS = 3_600_000_000L;
    public static final int SIGNIFICANT_DIGITS = 3;

    /** Cookies of HdrHistogram's V2 encoding (see AbstractHistogram). */
    private static final int V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
    private static final int V2_ENCODING_COOKIE_BASE = 0x1c849303;
    /** Inner header: cookie, payload length, normalizing offset, digits, lowest, highest, ratio. */
    private static final int V2_HEADER_BYTES = 40;
    /** A full 1 µs–1 h histogram, every counter in use, LEB128-encoded, is well under this. */
    private static final int MAX_INFLATED_BYTES = 1 << 20;

    private HistogramCodec() {
    }

    public static Histogram newHistogram() {
        return new Histogram(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    }

    public static byte[] encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        byte[] bytes = new byte[length];
        buffer.flip();
        buffer.get(bytes);
        return bytes;
    }

    /**
     * Decodes a compressed histogram produced by {@link #encode} (or by HdrHistogram's own
     * {@code encodeIntoCompressedByteBuffer} with Salvo's range and precision).
     *
     * @throws CorruptHistogramException naming what is wrong with the payload
     */
    public static Histogram decode(byte[] compressed) throws CorruptHistogramException {
        if (compressed.length < 8) {
            throw new CorruptHistogramException("payload of " + compressed.length + " bytes is too short");
        }
        ByteBuffer outer = ByteBuffer.wrap(compressed).order(ByteOrder.BIG_ENDIAN);
        int cookie = outer.getInt();
        if ((cookie & ~0xf0) != V2_COMPRESSED_COOKIE_BASE) {
            throw new CorruptHistogramException("not a compressed HdrHistogram (cookie " + Integer.toHexString(cookie) + ")");
        }
        int deflatedLength = outer.getInt();
        if (deflatedLength < 0 || deflatedLength > compressed.length - 8) {
            throw new CorruptHistogramException("compressed length " + deflatedLength + " exceeds the payload");
        }
        byte[] inflated = inflate(compressed, 8, deflatedLength);
        ByteBuffer inner = ByteBuffer.wrap(inflated).order(ByteOrder.BIG_ENDIAN);
        if (inflated.length < V2_HEADER_BYTES) {
            throw new CorruptHistogramException("histogram header is truncated");
        }
        int innerCookie = inner.getInt(0);
        if ((innerCookie & ~0xf0) != V2_ENCODING_COOKIE_BASE) {
            throw new CorruptHistogramException("unsupported histogram encoding (cookie " + Integer.toHexString(innerCookie) + ")");
        }
        int payloadLength = inner.getInt(4);
        int digits = inner.getInt(12);
        long lowest = inner.getLong(16);
        long highest = inner.getLong(24);
        if (digits != SIGNIFICANT_DIGITS || lowest != LOWEST_MICROS || highest != HIGHEST_MICROS) {
            throw new CorruptHistogramException("histogram precision must be 1 us..1 h with 3 digits, got "
                    + lowest + ".." + highest + " with " + digits + " digits");
        }
        if (payloadLength < 0 || payloadLength != inflated.length - V2_HEADER_BYTES) {
            throw new CorruptHistogramException("histogram payload length " + payloadLength
                    + " does not match the " + (inflated.length - V2_HEADER_BYTES) + " bytes present");
        }
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
                throw new CorruptHistogramException("histogram has a negative count at "
                        + value.getValueIteratedTo() + " us");
            }
        }
        return histogram;
    }

    private static byte[] inflate(byte[] source, int offset, int length) throws CorruptHistogramException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(source, offset, length);
            byte[] out = new byte[Math.min(MAX_INFLATED_BYTES, Math.max(256, length * 8))];
            int total = 0;
            while (!inflater.finished()) {
                if (total == out.length) {
                    if (out.length >= MAX_INFLATED_BYTES) {
                        throw new CorruptHistogramException("histogram inflates beyond " + MAX_INFLATED_BYTES + " bytes");
                    }
                    out = java.util.Arrays.copyOf(out, Math.min(MAX_INFLATED_BYTES, out.length * 2));
                }
                int n = inflater.inflate(out, total, out.length - total);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new CorruptHistogramException("compressed histogram is truncated");
                }
                total += n;
            }
            return java.util.Arrays.copyOf(out, total);
        } catch (DataFormatException e) {
            throw new CorruptHistogramException("compressed histogram is not valid deflate data: " + e.getMessage());
        } finally {
            inflater.end();
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
