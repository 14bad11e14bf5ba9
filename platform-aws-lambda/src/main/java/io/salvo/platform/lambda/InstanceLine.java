package io.salvo.platform.lambda;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The line the model-server's Lambda handler writes to standard output once its model is loaded, at the end of the
 * init phase: {@code SALVO_INSTANCE instance=<uuid> model=<name> model_load_ms=<n>}. It lands in the execution
 * environment's own log stream, so a stream (and its REPORT lines, with their Init Duration) is matched to the
 * {@code Salvo-Instance-Id} the load generator saw by id, not by time.
 *
 * @param instanceId   the model-server's instance id
 * @param model        the model it serves
 * @param modelLoadMs  its model load time; null when absent
 */
public record InstanceLine(String instanceId, String model, Long modelLoadMs) {

    public static final String PREFIX = "SALVO_INSTANCE ";
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /** The instance line in {@code message} (the prefix anywhere in it); empty when there is none. */
    public static Optional<InstanceLine> parse(String message) {
        int at = message.indexOf(PREFIX);
        if (at < 0) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String token : WHITESPACE
                .splitAsStream(message.substring(at + PREFIX.length()).strip())
                .toList()) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                fields.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        String id = fields.get("instance");
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        Long load = null;
        try {
            load = fields.containsKey("model_load_ms") ? Long.valueOf(fields.get("model_load_ms")) : null;
        } catch (NumberFormatException e) {
            // a malformed load time leaves it unknown; the id is what matters
        }
        return Optional.of(new InstanceLine(id, fields.get("model"), load));
    }
}
