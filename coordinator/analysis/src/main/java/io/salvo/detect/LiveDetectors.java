package io.salvo.detect;

import io.salvo.core.histogram.HistogramSpec;
import io.salvo.detect.WarmLatency.ColdExclusion;
import io.salvo.proto.v1.MergedInterval;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The live detectors of one run, fed merged intervals in index order; each call returns the events the
 * interval decided. Free of clocks: time is the interval index, and offsets are microseconds since the
 * run's interval-0 instant.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Intervals arrive in increasing index order. A skipped index counts as an empty interval (nobody
 *       reported it), which breaks any steady window; an index at or below one already fed is refused.</li>
 *   <li>Warm latency is one histogram built with HdrHistogram {@code add} (and {@code subtract} for
 *       reported cold requests), so its percentiles are exact to the histograms' 3 digits.</li>
 *   <li>Memory is bounded: only the last W intervals' success histograms are kept, for the window that
 *       may still qualify.</li>
 * </ul>
 * Not thread-safe: one run loop owns it.
 */
public final class LiveDetectors {

    private final DetectorSettings settings;
    private final ColdStartDetector coldStarts;
    private final FirstSuccessDetector firstSuccess;
    private final SteadyStateDetector steadyState;
    /** Intervals that may still join a qualifying window, by index, oldest first. */
    private final LinkedHashMap<Long, IntervalObservation> recent = new LinkedHashMap<>();

    private final Histogram warm = HistogramSpec.newHistogram();
    private long coldExcluded;
    private boolean everyWarmIntervalHadColdHistogram = true;
    private long nextIndex;

    /** @param platform instance life cycles from the platform driver, or null when there is none */
    public LiveDetectors(DetectorSettings settings, PlatformInstanceSignals platform) {
        this.settings = settings;
        this.coldStarts = new ColdStartDetector(settings, platform);
        this.firstSuccess = new FirstSuccessDetector(settings.intervalMicros());
        this.steadyState = new SteadyStateDetector(settings);
    }

    /** Decodes and feeds one merged interval. */
    public List<DetectionEvent> accept(MergedInterval interval) {
        return accept(IntervalObservation.from(interval, settings.instanceHeader()));
    }

    /** Feeds one interval; returns what it decided, in the order: cold starts, instances, first success, steady state. */
    public List<DetectionEvent> accept(IntervalObservation interval) {
        if (interval.index() < nextIndex) {
            throw new IllegalArgumentException("interval " + interval.index() + " arrived after interval "
                    + (nextIndex - 1) + "; intervals must be fed once, in index order");
        }
        List<DetectionEvent> events = new ArrayList<>();
        while (nextIndex < interval.index()) {
            events.addAll(acceptInOrder(IntervalObservation.empty(nextIndex)));
        }
        events.addAll(acceptInOrder(interval));
        return events;
    }

    private List<DetectionEvent> acceptInOrder(IntervalObservation interval) {
        nextIndex = interval.index() + 1;
        List<DetectionEvent> events = new ArrayList<>(coldStarts.accept(interval));
        TimeToFirstSuccess ttfr = firstSuccess.accept(interval);
        if (ttfr != null) {
            events.add(new DetectionEvent.FirstSuccess(ttfr, interval.index()));
        }
        recent.put(interval.index(), interval);
        while (recent.size() > settings.steadyWindowIntervals()) {
            recent.remove(recent.keySet().iterator().next());
        }
        SteadyStateDetector.Step step = steadyState.accept(interval);
        for (long index : step.newlySteady()) {
            addWarm(recent.get(index));
        }
        if (step.firstReached() != null) {
            events.add(new DetectionEvent.SteadyStateReached(step.firstReached(), interval.index()));
        }
        return events;
    }

    private void addWarm(IntervalObservation interval) {
        Histogram cold = interval.precise().coldSuccessLatency();
        if (cold != null) {
            Histogram warmPart = interval.successLatency().copy();
            warmPart.subtract(cold);
            warm.add(warmPart);
            coldExcluded += cold.getTotalCount();
        } else {
            everyWarmIntervalHadColdHistogram = false;
            if (coldStarts.hadColdStart(interval.index())) {
                coldExcluded += interval.successes();
            } else {
                warm.add(interval.successLatency());
            }
        }
    }

    /** The warm-latency histogram so far (a copy), microseconds; for .hlog output and custom percentiles. */
    public Histogram warmLatencyHistogram() {
        return warm.copy();
    }

    public DetectorSummary summary() {
        long count = warm.getTotalCount();
        WarmLatency warmLatency = new WarmLatency(
                count,
                count == 0 ? -1 : warm.getValueAtPercentile(50),
                count == 0 ? -1 : warm.getValueAtPercentile(95),
                count == 0 ? -1 : warm.getValueAtPercentile(99),
                steadyState.steadyIntervals(),
                coldExcluded,
                steadyState.steadyIntervals() > 0 && everyWarmIntervalHadColdHistogram
                        ? ColdExclusion.COLD_REQUEST_HISTOGRAMS
                        : ColdExclusion.INTERVALS_WITH_COLD_STARTS);
        return new DetectorSummary(
                settings,
                coldStarts.source(),
                coldStarts.sourceLabel(),
                coldStarts.coldStarts(),
                firstSuccess.result(),
                steadyState.result(),
                warmLatency,
                coldStarts.timeline());
    }

    /** Read-only view of the retained window, for tests of the memory bound. */
    Map<Long, IntervalObservation> retainedIntervals() {
        return Map.copyOf(recent);
    }
}
