package io.salvo.search;

/** What one step of a capacity search showed. */
public enum Verdict {
    /** Steady state was reached and every objective held on the steady-state intervals. */
    PASS,
    /** The target did not sustain the rate within the objectives (or never reached steady state). */
    FAIL,
    /** The workers themselves could not offer the rate on time: the step says nothing about the target. */
    GENERATOR_LIMIT;

    /** The name the console and JSON use: pass, fail, generator_limit. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
