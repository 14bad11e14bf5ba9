package io.salvo.platform;

import java.util.List;

/** A deployment exceeds what the platform allows; the message lists every violation. */
public final class PlatformLimitException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> violations;

    public PlatformLimitException(String platform, List<String> violations) {
        super(platform + " cannot run this deployment: " + String.join("; ", violations));
        this.violations = List.copyOf(violations);
    }

    public List<String> violations() {
        return violations;
    }

    /** Throws when {@code violations} is not empty. */
    public static void check(String platform, List<String> violations) throws PlatformLimitException {
        if (!violations.isEmpty()) {
            throw new PlatformLimitException(platform, violations);
        }
    }
}
