package io.salvo.modelserver;

import java.util.logging.LogManager;

/**
 * One readable line per log record on standard error, through java.util.logging like the rest of Salvo (and like
 * ONNX Runtime, Tribuo, Vert.x and Netty when no other logging library is present):
 * {@code 2026-12-05T10:15:30.123+0000 INFO io.salvo.modelserver.serving.ServingCore - model minilm ready: ...}.
 */
public final class LogFormat {

    static final String FORMAT_PROPERTY = "java.util.logging.SimpleFormatter.format";
    /** ISO 8601 time with milliseconds and UTC offset, level, logger, message, then the stack trace if any. */
    static final String ONE_LINE = "%1$tFT%1$tT.%1$tL%1$tz %4$s %3$s - %5$s%6$s%n";

    private LogFormat() {}

    /**
     * Makes the JDK's console handler print one line per record (its default spreads each over two). Must run before
     * anything logs: the handler reads the format once, when it is created. An operator's own format, given as a
     * system property or in the file named by {@code java.util.logging.config.file}, is left alone.
     */
    public static void install() {
        boolean configured = System.getProperty(FORMAT_PROPERTY) != null
                || LogManager.getLogManager().getProperty(FORMAT_PROPERTY) != null;
        if (!configured) {
            System.setProperty(FORMAT_PROPERTY, ONE_LINE);
        }
    }
}
