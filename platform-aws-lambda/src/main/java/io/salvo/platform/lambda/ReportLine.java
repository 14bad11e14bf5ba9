package io.salvo.platform.lambda;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code REPORT} line, which the Lambda runtime writes to the function's log stream after every invocation, e.g.
 *
 * <pre>
 * REPORT RequestId: 8f507cfc-...-ac58fc914c95\tDuration: 15.74 ms\tBilled Duration: 16 ms\tMemory Size: 512 MB\t
 * Max Memory Used: 156 MB\tInit Duration: 1133.21 ms\t
 * </pre>
 *
 * {@code Init Duration} appears only on the first invocation of an execution environment that was initialised on
 * demand (a cold start); SnapStart environments report {@code Restore Duration} and {@code Billed Restore Duration}
 * instead. Fields are separated by tabs; consoles that copy them with spaces are read too.
 *
 * @param requestId              the invocation's request id
 * @param durationMs             time in the handler
 * @param billedDurationMs       the duration AWS bills, rounded up to 1 ms (includes the init phase where AWS bills it)
 * @param memorySizeMb           memory configured for the environment, MB
 * @param maxMemoryUsedMb        peak memory of the environment so far, MB
 * @param initDurationMs         the init phase of a cold start; null on warm invocations
 * @param restoreDurationMs      SnapStart's restore of the snapshot; null otherwise
 * @param billedRestoreDurationMs billed part of the restore; 0 when absent
 * @param status                 {@code timeout}, {@code error}, ... when the invocation failed; null when it did not
 */
public record ReportLine(
        String requestId,
        double durationMs,
        long billedDurationMs,
        int memorySizeMb,
        int maxMemoryUsedMb,
        Double initDurationMs,
        Double restoreDurationMs,
        long billedRestoreDurationMs,
        String status) {

    private static final String KEYS = "RequestId|Billed Restore Duration|Restore Duration|Init Duration"
            + "|Billed Duration|Max Memory Used|Memory Size|Duration|Status|Error Type";
    private static final Pattern FIELD =
            Pattern.compile("(?:^|\\s)(" + KEYS + "):\\s*(.*?)\\s*(?=\\t|$|\\s(?:" + KEYS + "):)");
    private static final Pattern NUMBER = Pattern.compile("^[0-9]+(?:\\.[0-9]+)?");

    /** Whether a log message is a REPORT line. */
    public static boolean isReport(String message) {
        return message.startsWith("REPORT RequestId:");
    }

    /** The REPORT line in {@code message}; empty when it is not one or lacks a required field. */
    public static Optional<ReportLine> parse(String message) {
        if (!isReport(message)) {
            return Optional.empty();
        }
        String requestId = null;
        Double duration = null;
        Double billed = null;
        Double memory = null;
        Double maxUsed = null;
        Double init = null;
        Double restore = null;
        Double billedRestore = null;
        String status = null;
        Matcher m = FIELD.matcher(message.strip());
        while (m.find()) {
            String value = m.group(2);
            switch (m.group(1)) {
                case "RequestId" -> requestId = value;
                case "Duration" -> duration = number(value);
                case "Billed Duration" -> billed = number(value);
                case "Memory Size" -> memory = number(value);
                case "Max Memory Used" -> maxUsed = number(value);
                case "Init Duration" -> init = number(value);
                case "Restore Duration" -> restore = number(value);
                case "Billed Restore Duration" -> billedRestore = number(value);
                case "Status" -> status = value;
                default -> {
                    // Error Type: kept in the status below
                }
            }
        }
        if (requestId == null || duration == null || billed == null || memory == null) {
            return Optional.empty();
        }
        return Optional.of(new ReportLine(
                requestId,
                duration,
                Math.round(billed),
                (int) Math.round(memory),
                maxUsed == null ? 0 : (int) Math.round(maxUsed),
                init,
                restore,
                billedRestore == null ? 0 : Math.round(billedRestore),
                status));
    }

    /** GB-seconds AWS bills for this invocation: (billed duration + billed restore) × memory, memory in GB of 1,024 MB. */
    public double billedGbSeconds() {
        return (billedDurationMs + billedRestoreDurationMs) / 1000.0 * (memorySizeMb / 1024.0);
    }

    private static Double number(String value) {
        Matcher m = NUMBER.matcher(value);
        return m.find() ? Double.valueOf(m.group()) : null;
    }
}
