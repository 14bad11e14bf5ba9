package io.salvo.search;

import java.util.List;

/**
 * How a capacity search ended.
 *
 * @param conclusion why it ended
 * @param highestPassingRate the highest rate whose step passed, requests per second; null when none passed
 * @param lowestFailingRate the lowest rate whose step failed; null when none failed
 * @param precision the relative bracket width the search aimed for
 * @param steps every step, in the order run
 * @param message the conclusion in words
 */
public record SearchOutcome(
        Conclusion conclusion,
        Double highestPassingRate,
        Double lowestFailingRate,
        double precision,
        List<StepResult> steps,
        String message) {

    public SearchOutcome {
        steps = List.copyOf(steps);
    }

    /** Why a search ended. */
    public enum Conclusion {
        /** The highest passing and the lowest failing rate are within the precision. */
        CONVERGED,
        /** Every step passed up to the highest rate allowed. */
        AT_LEAST_MAX,
        /** A step could not be offered on time by the workers. */
        GENERATOR_LIMITED,
        /** No step passed, down to the lowest rate tried. */
        NONE_PASSED,
        /** The step limit was reached first. */
        STEP_LIMIT,
        /** Interrupted, or a step's run failed. */
        INTERRUPTED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Whether the search answered the question: converged, or the target sustains even the highest rate allowed. */
    public boolean answered() {
        return conclusion == Conclusion.CONVERGED || conclusion == Conclusion.AT_LEAST_MAX;
    }
}
