package io.salvo.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import io.salvo.report.RunReport.DecodedInterval;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/** Writes a run's report as JSON and as an HdrHistogram interval log. */
public final class ReportFiles {

    /** Tag of the service-time histograms in the .hlog; the untagged ones are latency. */
    public static final String SERVICE_TIME_TAG = "service_time";
    /** Tags of the request phases (docs/metrics.md), written for intervals in which a worker reported them. */
    public static final String CONNECTION_WAIT_TAG = "connection_wait";

    public static final String TIME_TO_FIRST_BYTE_TAG = "time_to_first_byte";
    public static final String CONNECT_TAG = "connect";
    public static final String TLS_HANDSHAKE_TAG = "tls_handshake";
    /** hlog values are microseconds; the log's "max" column is shown in milliseconds. */
    private static final double MICROS_PER_MILLI = 1000.0;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportFiles() {}

    public static ObjectMapper json() {
        return JSON;
    }

    /** Writes the JSON report atomically (a partial file never replaces a complete one). */
    public static void writeJson(RunReport report, Path path) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), report);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static RunReport readJson(Path path) throws IOException {
        return JSON.readValue(path.toFile(), RunReport.class);
    }

    /**
     * Writes one latency histogram (all outcomes, untagged) and one service-time histogram (tag
     * {@value #SERVICE_TIME_TAG}) per interval, in microseconds, with interval start/end timestamps, so
     * HdrHistogram's HistogramLogReader and HistogramLogProcessor read it back as is; then, for intervals in which
     * workers reported them, the request phases tagged {@value #CONNECTION_WAIT_TAG},
     * {@value #TIME_TO_FIRST_BYTE_TAG}, {@value #CONNECT_TAG} and {@value #TLS_HANDSHAKE_TAG}.
     */
    public static void writeHlog(RunResult result, Path path) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp);
                PrintStream print = new PrintStream(out, false, StandardCharsets.UTF_8)) {
            HistogramLogWriter writer = new HistogramLogWriter(print);
            long startMillis = result.getStartUnixNanos() / 1_000_000L;
            long intervalMillis = result.getPlan().getIntervalMillis();
            writer.outputComment("Salvo run " + result.getRunId() + " '"
                    + result.getPlan().getName() + "': latency (untagged) and service time (tag " + SERVICE_TIME_TAG
                    + "), values in microseconds");
            writer.outputLogFormatVersion();
            writer.setBaseTime(startMillis);
            writer.outputBaseTime(startMillis);
            writer.outputStartTime(startMillis);
            writer.outputLegend();
            for (MergedInterval m : result.getIntervalsList()) {
                DecodedInterval d = DecodedInterval.of(m);
                long fromMillis = m.getIntervalIndex() * intervalMillis;
                write(writer, d.allLatency(), fromMillis, fromMillis + intervalMillis, null);
                write(writer, d.allServiceTime(), fromMillis, fromMillis + intervalMillis, SERVICE_TIME_TAG);
                // The request phases only where a worker reported them, so a run without them writes what it
                // always did.
                writeIfAny(writer, d.connectionWait(), fromMillis, intervalMillis, CONNECTION_WAIT_TAG);
                writeIfAny(writer, d.timeToFirstByte(), fromMillis, intervalMillis, TIME_TO_FIRST_BYTE_TAG);
                writeIfAny(writer, d.connect(), fromMillis, intervalMillis, CONNECT_TAG);
                writeIfAny(writer, d.tlsHandshake(), fromMillis, intervalMillis, TLS_HANDSHAKE_TAG);
            }
            print.flush();
            if (print.checkError()) {
                throw new IOException("writing " + tmp + " failed");
            }
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeIfAny(
            HistogramLogWriter writer, Histogram h, long fromMillis, long intervalMillis, String tag) {
        if (h.getTotalCount() > 0) {
            write(writer, h, fromMillis, fromMillis + intervalMillis, tag);
        }
    }

    /** Interval times are relative to the log's base time (the run's start), in milliseconds. */
    private static void write(HistogramLogWriter writer, Histogram h, long fromMillis, long toMillis, String tag) {
        h.setTag(tag);
        writer.outputIntervalHistogram(fromMillis / 1000.0, toMillis / 1000.0, h, MICROS_PER_MILLI);
    }
}
