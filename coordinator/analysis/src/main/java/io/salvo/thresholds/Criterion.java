package io.salvo.thresholds;

import io.salvo.proto.v1.ThresholdCriterion;

/**
 * One pass/fail criterion: {@code figure operator limit}, the limit in the figure's unit (see {@link Figure.Kind}).
 *
 * @param text        the criterion as the plan wrote it, for messages and reports
 * @param abortOnFail stop the run as soon as the criterion can no longer pass
 */
public record Criterion(String text, Figure figure, Operator operator, double limit, boolean abortOnFail) {

    public Criterion withAbortOnFail(boolean abort) {
        return new Criterion(text, figure, operator, limit, abort);
    }

    public ThresholdCriterion toProto() {
        return ThresholdCriterion.newBuilder()
                .setText(text)
                .setFigure(figure.name())
                .setOperator(operator.toProto())
                .setValue(limit)
                .setAbortOnFail(abortOnFail)
                .build();
    }

    /**
     * The criterion a run's plan carries. A figure or operator this version does not know (a plan written by a newer
     * client) is kept as an unknown figure, which has no value and so fails, rather than being silently dropped.
     */
    public static Criterion fromProto(ThresholdCriterion proto) {
        Figure figure = Figure.named(proto.getFigure()).orElse(new Figure(proto.getFigure(), Figure.Kind.COUNT));
        Operator operator = Operator.fromProto(proto.getOperator()).orElse(null);
        return new Criterion(proto.getText(), figure, operator, proto.getValue(), proto.getAbortOnFail());
    }

    /** The limit for people: "300 ms", "0.1 %", "reached". */
    public String formattedLimit() {
        return figure.format(limit);
    }
}
