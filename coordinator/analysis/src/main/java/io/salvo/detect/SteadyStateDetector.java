package io.salvo.detect;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Slides a window of W consecutive qualifying intervals over the stream. An interval qualifies when its
 * successful responses reach the success-rate ratio of its intended count (same interval length, so
 * counts compare as rates), its errors stay within the error ratio, and it has a success at all. A full
 * window is stable when its p95 latencies agree within the spread: the largest lower 99 % confidence
 * bound of an interval's p95 is at most spread × the smallest upper bound ({@link QuantileBounds}). With many
 * samples per interval that is perf_analyzer's max/min ≤ spread on the p95s themselves; with few, an
 * interval's p95 is known only roughly and the window is judged on what its data can show, instead of
 * on sampling noise that no target could keep within 10 %. A stable window makes all its intervals
 * steady; the first one decides the time to steady state.
 */
final class SteadyStateDetector {

    private record Entry(long index, QuantileBounds p95) {}

    private final DetectorSettings settings;
    private final ArrayDeque<Entry> window = new ArrayDeque<>();
    private long highestSteady = -1;
    private long steadyCount;
    private SteadyState first;

    SteadyStateDetector(DetectorSettings settings) {
        this.settings = settings;
    }

    /** Result of one interval: indexes that just became steady, and the first window if it closed now. */
    record Step(List<Long> newlySteady, SteadyState firstReached) {}

    Step accept(IntervalObservation interval) {
        if (!qualifies(interval)) {
            window.clear();
            return new Step(List.of(), null);
        }
        window.addLast(new Entry(interval.index(), QuantileBounds.of(interval.successLatency(), 0.95)));
        if (window.size() > settings.steadyWindowIntervals()) {
            window.removeFirst();
        }
        if (window.size() < settings.steadyWindowIntervals()) {
            return new Step(List.of(), null);
        }
        long largestLow = window.stream().mapToLong(e -> e.p95().low()).max().orElseThrow();
        long smallestHigh = window.stream().mapToLong(e -> e.p95().high()).min().orElseThrow();
        if (largestLow > settings.maxP95Spread() * Math.max(1, smallestHigh)) {
            return new Step(List.of(), null);
        }
        long min = window.stream().mapToLong(e -> e.p95().estimate()).min().orElseThrow();
        long max = window.stream().mapToLong(e -> e.p95().estimate()).max().orElseThrow();
        List<Long> newly = new ArrayList<>();
        for (Entry e : window) {
            if (e.index() > highestSteady) {
                newly.add(e.index());
                highestSteady = e.index();
            }
        }
        steadyCount += newly.size();
        SteadyState reachedNow = null;
        if (first == null) {
            long start = window.peekFirst().index();
            first = new SteadyState(true, start, start * settings.intervalMicros(), min, max, settings);
            reachedNow = first;
        }
        return new Step(newly, reachedNow);
    }

    private boolean qualifies(IntervalObservation interval) {
        if (interval.intended() <= 0 || interval.successes() == 0) {
            return false;
        }
        boolean rateReached = interval.successes() >= settings.minSuccessRateRatio() * interval.intended() - 1e-9;
        boolean fewErrors = interval.errors() <= settings.maxErrorRatio() * interval.responses() + 1e-9;
        return rateReached && fewErrors;
    }

    SteadyState result() {
        return first != null ? first : SteadyState.notReached(settings);
    }

    long steadyIntervals() {
        return steadyCount;
    }
}
