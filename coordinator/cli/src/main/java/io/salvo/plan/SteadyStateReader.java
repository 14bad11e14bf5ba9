package io.salvo.plan;

import io.salvo.proto.v1.SteadyStateRule;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The plan's optional {@code steadyState} section: the time-to-steady-state rule (window in intervals, minimum
 * success rate as a fraction of the target rate, maximum error ratio, maximum p95 spread); a key left out stays
 * unset, so the rule's default applies.
 */
final class SteadyStateReader {

    private static final Set<String> STEADY_STATE_KEYS =
            Set.of("window", "minRateRatio", "maxErrorRatio", "maxP95Spread");

    private final PlanNodes nodes;

    SteadyStateReader(PlanNodes nodes) {
        this.nodes = nodes;
    }

    SteadyStateRule read(Node node) throws PlanException {
        Map<String, NodeTuple> rule = nodes.mapping(node, "steadyState", STEADY_STATE_KEYS);
        SteadyStateRule.Builder b = SteadyStateRule.newBuilder();
        NodeTuple window = rule.get("window");
        if (window != null) {
            b.setWindowIntervals((int) nodes.longValue(window.getValueNode(), "steadyState.window", 1, 1000));
        }
        NodeTuple minRate = rule.get("minRateRatio");
        if (minRate != null) {
            b.setMinSuccessRateRatio(ratio(minRate.getValueNode(), "steadyState.minRateRatio", false));
        }
        NodeTuple maxError = rule.get("maxErrorRatio");
        if (maxError != null) {
            b.setMaxErrorRatio(ratio(maxError.getValueNode(), "steadyState.maxErrorRatio", true));
        }
        NodeTuple spread = rule.get("maxP95Spread");
        if (spread != null) {
            double value = nodes.number(spread.getValueNode(), "steadyState.maxP95Spread");
            if (value < 1) {
                throw nodes.error(
                        spread.getValueNode(),
                        "steadyState.maxP95Spread",
                        "must be at least 1 (it is max p95 / min p95), got " + value);
            }
            b.setMaxP95Spread(value);
        }
        return b.build();
    }

    private double ratio(Node node, String field, boolean zeroAllowed) throws PlanException {
        double value = nodes.number(node, field);
        if (value > 1 || value < 0 || (!zeroAllowed && value == 0)) {
            throw nodes.error(
                    node,
                    field,
                    "must be a fraction " + (zeroAllowed ? "from 0" : "above 0") + " to 1, got "
                            + nodes.scalar(node, field));
        }
        return value;
    }
}
