package io.salvo.plan;

import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RunPlan;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The plan's {@code phases} section: a non-empty list of phases, each a duration and a rate that is constant
 * ({@code rate: 100}), a linear ramp ({@code {from, to}}) or a ramp in equal constant steps ({@code steps}).
 */
final class PhasesReader {

    private static final Set<String> PHASE_KEYS = Set.of("duration", "rate");
    private static final Set<String> RAMP_KEYS = Set.of("from", "to", "steps");

    private final PlanNodes nodes;

    PhasesReader(PlanNodes nodes) {
        this.nodes = nodes;
    }

    /**
     * Adds the phases at {@code node} to {@code plan}, in order. {@code regionsRate} is the sum of the regions' own
     * rates when the plan gives them (then a phase has a duration only, and runs at that rate), else null.
     */
    void read(Node node, RunPlan.Builder plan, Double regionsRate) throws PlanException {
        if (!(node instanceof SequenceNode sequence) || sequence.getValue().isEmpty()) {
            throw nodes.error(node, "phases", "must be a non-empty list of phases (each with duration and rate)");
        }
        List<Node> items = sequence.getValue();
        for (int i = 0; i < items.size(); i++) {
            String field = "phases[" + i + "]";
            Node item = items.get(i);
            Map<String, NodeTuple> phase = nodes.mapping(item, field, PHASE_KEYS);
            NodeTuple duration = nodes.require(phase, "duration", field + ".", item);
            long durationMillis = nodes.durationMicros(duration.getValueNode(), field + ".duration", 1000) / 1000;
            if (regionsRate != null) {
                NodeTuple rate = phase.get("rate");
                if (rate != null) {
                    throw nodes.error(
                            rate.getKeyNode(),
                            field + ".rate",
                            "the regions give their own rates (" + rateText(regionsRate)
                                    + "/s in all); leave rate out of the " + "phases, or give the regions weights");
                }
                plan.addPhases(Phase.newBuilder()
                        .setStartRatePerSecond(regionsRate)
                        .setEndRatePerSecond(regionsRate)
                        .setDurationMillis(durationMillis));
                continue;
            }
            NodeTuple rate = nodes.require(phase, "rate", field + ".", item);
            plan.addPhases(parseRate(rate.getValueNode(), field + ".rate").setDurationMillis(durationMillis));
        }
    }

    private Phase.Builder parseRate(Node node, String field) throws PlanException {
        if (node instanceof ScalarNode) {
            double rate = positiveNumber(node, field);
            return Phase.newBuilder().setStartRatePerSecond(rate).setEndRatePerSecond(rate);
        }
        Map<String, NodeTuple> ramp = nodes.mapping(node, field, RAMP_KEYS);
        NodeTuple from = nodes.require(ramp, "from", field + ".", node);
        NodeTuple to = nodes.require(ramp, "to", field + ".", node);
        double start = nonNegativeNumber(from.getValueNode(), field + ".from");
        double end = nonNegativeNumber(to.getValueNode(), field + ".to");
        if (start == 0 && end == 0) {
            throw nodes.error(node, field, "a ramp from 0 to 0 sends nothing; at least one end must be > 0");
        }
        Phase.Builder phase = Phase.newBuilder().setStartRatePerSecond(start).setEndRatePerSecond(end);
        NodeTuple steps = ramp.get("steps");
        if (steps != null) {
            phase.setSteps((int) nodes.longValue(steps.getValueNode(), field + ".steps", 2, 10_000));
        }
        return phase;
    }

    private static String rateText(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate);
    }

    private double positiveNumber(Node node, String field) throws PlanException {
        double value = nodes.number(node, field);
        if (value <= 0) {
            throw nodes.error(
                    node, field, "must be greater than 0 requests per second, got " + nodes.scalar(node, field));
        }
        return value;
    }

    private double nonNegativeNumber(Node node, String field) throws PlanException {
        double value = nodes.number(node, field);
        if (value < 0) {
            throw nodes.error(node, field, "must not be negative, got " + nodes.scalar(node, field));
        }
        return value;
    }
}
