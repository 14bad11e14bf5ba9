package io.salvo.platform.local;

import java.util.HashMap;
import java.util.Map;

/**
 * The line an instance prints when it can serve:
 * {@code SALVO_READY port=<p> instance=<id> model_load_ms=<n> [more key=value pairs]}.
 */
record ReadyLine(int port, String instanceId, Long modelLoadMillis) {

    static final String PREFIX = "SALVO_READY";

    /** Null when the line is not a ready line (instances print other things too). */
    static ReadyLine parse(String line) {
        String trimmed = line.strip();
        if (!trimmed.startsWith(PREFIX + " ") && !trimmed.equals(PREFIX)) {
            return null;
        }
        Map<String, String> pairs = new HashMap<>();
        for (String token : trimmed.substring(PREFIX.length()).trim().split("\\s+", -1)) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                pairs.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        int port = parseInt(pairs.get("port"), -1);
        String load = pairs.get("model_load_ms");
        Long loadMillis = load == null ? null : (long) parseInt(load, -1);
        return new ReadyLine(port, pairs.get("instance"), loadMillis != null && loadMillis < 0 ? null : loadMillis);
    }

    private static int parseInt(String value, int fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
