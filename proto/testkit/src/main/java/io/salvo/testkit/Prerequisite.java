package io.salvo.testkit;

import org.junit.jupiter.api.Assumptions;

/**
 * Something a test needs from the machine (a command, a built jar): on a developer's machine a test whose
 * prerequisite is missing is skipped, with the reason; under CI (environment variable {@code CI=true}, which
 * {@code .ci/run} sets) it fails instead, so that nothing silently goes untested there.
 */
public final class Prerequisite {

    private Prerequisite() {}

    /** Whether this build runs under CI, where every prerequisite must be met. */
    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Returns when {@code met}; otherwise skips the calling test (developer machine) or fails it (CI), saying
     * {@code what} is missing and how to get it.
     */
    public static void require(boolean met, String what) {
        if (met) {
            return;
        }
        if (underCi()) {
            throw new AssertionError(what + " (CI=true: every test must run here)");
        }
        Assumptions.abort(what + " (skipped on this machine; under CI=true this fails)");
    }
}
