package io.salvo.cli.live;

import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RunPlan;
import java.util.List;
import java.util.Locale;

/** Where a run stands in its plan: the load duration, and which phase an interval belongs to. */
public final class PlanTimeline {

    private static final long DEFAULT_INTERVAL_MILLIS = 1000;

    private final List<Phase> phases;
    private final long totalMillis;
    private final long planIntervalMillis;

    public PlanTimeline(RunPlan plan) {
        this.phases = List.copyOf(plan.getPhasesList());
        this.totalMillis = phases.stream().mapToLong(Phase::getDurationMillis).sum();
        this.planIntervalMillis = plan.getIntervalMillis() > 0 ? plan.getIntervalMillis() : DEFAULT_INTERVAL_MILLIS;
    }

    /** The load duration: the phases back to back, in milliseconds (draining comes after). */
    public long totalMillis() {
        return totalMillis;
    }

    public int phaseCount() {
        return phases.size();
    }

    /** The snapshot's interval length, or the plan's for a coordinator that does not send it. */
    long intervalMillis(int snapshotIntervalMillis) {
        return snapshotIntervalMillis > 0 ? snapshotIntervalMillis : planIntervalMillis;
    }

    /**
     * The index of the phase the interval starting at {@code startMillis} (from the run's start) belongs to, or -1
     * once the load is over (the run is draining: late responses of the last requests).
     */
    public int phaseAt(long startMillis) {
        long end = 0;
        for (int i = 0; i < phases.size(); i++) {
            end += phases.get(i).getDurationMillis();
            if (startMillis < end) {
                return i;
            }
        }
        return -1;
    }

    /** The rate a phase asks for, as the plan says it: "100/s", "10 -> 200/s ramp", "50 -> 200/s in 4 steps". */
    public String describeRate(int phaseIndex) {
        Phase p = phases.get(phaseIndex);
        if (p.getStartRatePerSecond() == p.getEndRatePerSecond()) {
            return rate(p.getStartRatePerSecond()) + "/s";
        }
        String range = rate(p.getStartRatePerSecond()) + " -> " + rate(p.getEndRatePerSecond()) + "/s";
        return p.getSteps() > 0 ? range + " in " + p.getSteps() + " steps" : range + " ramp";
    }

    private static String rate(double perSecond) {
        return perSecond == Math.rint(perSecond)
                ? Long.toString((long) perSecond)
                : String.format(Locale.ROOT, "%.1f", perSecond);
    }
}
