package io.salvo.search;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The rate sequence of a capacity search, in the manner of Nighthawk's adaptive load controller but on the open
 * model: grow geometrically from the start rate while steps pass, then bisect between the highest passing and the
 * lowest failing rate until they are within the precision; when the very first step fails, step down geometrically
 * until one passes. A step the generator could not offer is run once more; a second generator limit at the same rate
 * ends the search, since no later step could be trusted further.
 *
 * <p>Not thread-safe; one caller alternates {@link #nextRate()} and {@link #record(StepResult)}.
 */
public final class CapacitySearch {

    /** How far below the start rate a search that never passes steps down (with growth 2: start / 32). */
    static final int MAX_STEPS_DOWN = 5;

    private final SearchSettings settings;
    private final List<StepResult> steps = new ArrayList<>();
    private Double highestPass;
    private Double lowestFail;
    private SearchOutcome outcome;

    public CapacitySearch(SearchSettings settings) {
        this.settings = settings;
    }

    /** The rate of the next step, or empty once the search has its {@link #outcome()}. */
    public OptionalDouble nextRate() {
        if (outcome != null) {
            return OptionalDouble.empty();
        }
        if (steps.isEmpty()) {
            return OptionalDouble.of(settings.startRate());
        }
        StepResult last = steps.get(steps.size() - 1);
        if (last.verdict() == Verdict.GENERATOR_LIMIT && !repeatedGeneratorLimit()) {
            // One pause of a worker (a collection, a noisy neighbour) can void a step: run it once more before
            // concluding that the generator cannot offer this rate.
            return step(last.rate());
        }
        if (last.verdict() == Verdict.GENERATOR_LIMIT) {
            return finish(
                    SearchOutcome.Conclusion.GENERATOR_LIMITED,
                    String.format(
                            Locale.ROOT,
                            "the workers could not offer %s/s on time (%s): the target's capacity is at least the"
                                    + " highest passing rate; add workers or cores and search again from there",
                            rate(last.rate()),
                            last.reason()));
        }
        if (highestPass != null && lowestFail != null) {
            if (lowestFail - highestPass <= settings.precision() * highestPass) {
                return finish(
                        SearchOutcome.Conclusion.CONVERGED,
                        String.format(
                                Locale.ROOT,
                                "capacity between %s/s (passed) and %s/s (failed), within %s %%",
                                rate(highestPass),
                                rate(lowestFail),
                                rate(100 * settings.precision())));
            }
            return step((highestPass + lowestFail) / 2);
        }
        if (lowestFail == null) {
            if (highestPass >= settings.maxRate()) {
                return finish(
                        SearchOutcome.Conclusion.AT_LEAST_MAX,
                        "every step passed up to the highest rate allowed, " + rate(settings.maxRate())
                                + "/s: raise --max to search further");
            }
            return step(Math.min(highestPass * settings.growth(), settings.maxRate()));
        }
        double lowest = settings.startRate() / Math.pow(settings.growth(), MAX_STEPS_DOWN);
        if (lowestFail <= lowest * 1.0000001) {
            return finish(
                    SearchOutcome.Conclusion.NONE_PASSED,
                    "no step passed, down to " + rate(lowestFail) + "/s: the objectives fail even at low load");
        }
        return step(lowestFail / settings.growth());
    }

    /** Whether the last two steps were both generator limits at the same rate. */
    private boolean repeatedGeneratorLimit() {
        if (steps.size() < 2) {
            return false;
        }
        StepResult last = steps.get(steps.size() - 1);
        StepResult before = steps.get(steps.size() - 2);
        return before.verdict() == Verdict.GENERATOR_LIMIT && before.rate() == last.rate();
    }

    private OptionalDouble step(double rate) {
        if (steps.size() >= settings.maxSteps()) {
            return finish(
                    SearchOutcome.Conclusion.STEP_LIMIT,
                    "stopped after " + steps.size() + " steps (the step limit) before reaching the precision");
        }
        return OptionalDouble.of(rate);
    }

    private OptionalDouble finish(SearchOutcome.Conclusion conclusion, String message) {
        outcome = new SearchOutcome(conclusion, highestPass, lowestFail, settings.precision(), steps, message);
        return OptionalDouble.empty();
    }

    /** Records the result of the step at the rate {@link #nextRate()} gave last. */
    public void record(StepResult step) {
        if (outcome != null) {
            throw new IllegalStateException("the search is over");
        }
        steps.add(step);
        switch (step.verdict()) {
            case PASS -> highestPass = highestPass == null ? step.rate() : Math.max(highestPass, step.rate());
            case FAIL -> lowestFail = lowestFail == null ? step.rate() : Math.min(lowestFail, step.rate());
            case GENERATOR_LIMIT -> {
                // judged in nextRate(): it ends the search
            }
        }
    }

    /** The outcome, once {@link #nextRate()} returned empty; null before. */
    public SearchOutcome outcome() {
        return outcome;
    }

    /** The search ended early (Ctrl-C, a failed run): what the steps so far showed. */
    public SearchOutcome interrupted(String why) {
        if (outcome == null) {
            outcome = new SearchOutcome(
                    SearchOutcome.Conclusion.INTERRUPTED, highestPass, lowestFail, settings.precision(), steps, why);
        }
        return outcome;
    }

    static String rate(double perSecond) {
        if (perSecond == Math.rint(perSecond)) {
            return Long.toString((long) perSecond);
        }
        return String.format(Locale.ROOT, "%.1f", perSecond);
    }
}
