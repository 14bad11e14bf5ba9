package io.salvo.core.histogram;

import org.HdrHistogram.Histogram;

/**
 * The one histogram shape of Salvo: microseconds, 1 µs to 1 h, 3 significant digits. Every histogram a
 * worker records, the wire carries and the coordinator merges has it, so any two add exactly. Encoding
 * and decoding belong to {@link HistogramCodec}.
 */
public final class HistogramSpec {

    public static final long LOWEST_MICROS = 1;
    public static final long HIGHEST_MICROS = 3_600_000_000L;
    public static final int SIGNIFICANT_DIGITS = 3;

    private HistogramSpec() {}

    public static Histogram newHistogram() {
        return new Histogram(LOWEST_MICROS, HIGHEST_MICROS, SIGNIFICANT_DIGITS);
    }

    /** Nanoseconds to whole microseconds, clamped into the histogram's range (0 .. 1 h). */
    public static long toRecordableMicros(long nanos) {
        long micros = nanos / 1_000;
        return micros < 0 ? 0 : Math.min(micros, HIGHEST_MICROS);
    }
}
