package io.salvo.thresholds;

import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.ThresholdCriterion;
import java.util.List;
import java.util.function.Function;

/** Judges a run's criteria on its figures. Pure: the same criteria and figures give the same results. */
public final class Thresholds {

    private Thresholds() {}

    /** The plan's criteria, in plan order. */
    public static List<Criterion> of(RunPlan plan) {
        return plan.getThresholdsList().stream().map(Criterion::fromProto).toList();
    }

    /** The criteria as the plan carries them. */
    public static List<ThresholdCriterion> toProto(List<Criterion> criteria) {
        return criteria.stream().map(Criterion::toProto).toList();
    }

    /**
     * One result per criterion, in order. {@code figures} gives a figure's value in its unit, or null when the run
     * has none; a criterion on a figure without a value fails (a warm p99 limit fails when steady state was never
     * reached: the run did not show what the criterion asks for).
     */
    public static List<ThresholdResult> evaluate(List<Criterion> criteria, Function<Figure, Double> figures) {
        return criteria.stream()
                .map(c -> {
                    Double observed = figures.apply(c.figure());
                    boolean passed = observed != null
                            && c.operator() != null
                            && !observed.isNaN()
                            && c.operator().holds(observed, c.limit());
                    return new ThresholdResult(c, observed, passed);
                })
                .toList();
    }
}
