package io.salvo.core.histogram;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import org.HdrHistogram.Histogram;

/** The one histogram shape used on the wire: microseconds, 1 µs to 1 h, 3 significant digits. */
public final class HistogramSpec {

    public static final long LOWEST_MICROS = 1;
    public static final long HIGHEST_MICROS = 3_600_000_000L;
    public static final int SIGNIFICANT_DIGITS = 3;

    private HistogramSpec() {
    }

    public static Histogram newHistogram() {
        return new Histogram(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    }

    /** Nanoseconds to whole microseconds, clamped into the histogram's range (0 .. 1 h). */
    public static long toRecordableMicros(long nanos) {
        long micros = nanos / 1_000;
        return micros < 0 ? 0 : Math.min(micros, HIGHEST_MICROS);
    }

    /** HdrHistogram's compressed encoding, as carried by {@code OutcomeHistograms} and {@code IntervalReport}. */
    public static ByteString encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return ByteString.copyFrom(buffer.array(), 0, length);
    }

    public static Histogram decode(ByteString bytes) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(bytes.asReadOnlyByteBuffer(), LOWEST_MICROS);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("not a compressed HdrHistogram", e);
        }
    }
}
