package io.salvo.thresholds;

import io.salvo.proto.v1.ThresholdOperator;
import java.util.Optional;

/** How a threshold compares the observed figure (left) with its limit (right). */
public enum Operator {
    LESS("<", ThresholdOperator.THRESHOLD_OPERATOR_LESS),
    LESS_OR_EQUAL("<=", ThresholdOperator.THRESHOLD_OPERATOR_LESS_OR_EQUAL),
    GREATER(">", ThresholdOperator.THRESHOLD_OPERATOR_GREATER),
    GREATER_OR_EQUAL(">=", ThresholdOperator.THRESHOLD_OPERATOR_GREATER_OR_EQUAL),
    EQUAL("==", ThresholdOperator.THRESHOLD_OPERATOR_EQUAL),
    NOT_EQUAL("!=", ThresholdOperator.THRESHOLD_OPERATOR_NOT_EQUAL);

    private final String symbol;
    private final ThresholdOperator proto;

    Operator(String symbol, ThresholdOperator proto) {
        this.symbol = symbol;
        this.proto = proto;
    }

    public String symbol() {
        return symbol;
    }

    public ThresholdOperator toProto() {
        return proto;
    }

    public static Optional<Operator> fromProto(ThresholdOperator proto) {
        for (Operator o : values()) {
            if (o.proto == proto) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** The operator a criterion's text starts with, longest symbol first ("<=" before "<"). */
    static Optional<Operator> prefixOf(String text) {
        for (Operator o : new Operator[] {LESS_OR_EQUAL, GREATER_OR_EQUAL, EQUAL, NOT_EQUAL, LESS, GREATER}) {
            if (text.startsWith(o.symbol)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code observed OP limit} holds. */
    public boolean holds(double observed, double limit) {
        return switch (this) {
            case LESS -> observed < limit;
            case LESS_OR_EQUAL -> observed <= limit;
            case GREATER -> observed > limit;
            case GREATER_OR_EQUAL -> observed >= limit;
            case EQUAL -> observed == limit;
            case NOT_EQUAL -> observed != limit;
        };
    }

    /** An upper limit: more of the figure can only make it fail. */
    boolean isUpperLimit() {
        return this == LESS || this == LESS_OR_EQUAL;
    }
}
