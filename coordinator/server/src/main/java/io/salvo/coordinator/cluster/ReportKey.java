package io.salvo.coordinator.cluster;

import java.util.Optional;

/**
 * Names a raw interval report in the replicated store. The key is "interval/worker" with the (non-negative) interval
 * index zero-padded to 12 digits, so keys sort by interval.
 */
public record ReportKey(long intervalIndex, String workerId) {

    private static final int INDEX_DIGITS = 12;

    /** The key of this worker's report for this interval. */
    public static String of(long intervalIndex, String workerId) {
        // Not String.format: this runs for every report, and the formatter costs more than the rest of the key.
        String digits = Long.toString(intervalIndex);
        StringBuilder key = new StringBuilder(INDEX_DIGITS + 1 + digits.length() + workerId.length());
        for (int i = digits.length(); i < INDEX_DIGITS; i++) {
            key.append('0');
        }
        return key.append(digits).append('/').append(workerId).toString();
    }

    /** The interval and worker a key names; empty for one that does not start with a non-negative index and a slash. */
    public static Optional<ReportKey> parse(String key) {
        int slash = key.indexOf('/');
        if (slash <= 0) {
            return Optional.empty();
        }
        try {
            long index = Long.parseLong(key, 0, slash, 10);
            return index < 0 ? Optional.empty() : Optional.of(new ReportKey(index, key.substring(slash + 1)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
