package io.salvo.plan;

import io.salvo.proto.v1.ThresholdCriterion;
import io.salvo.thresholds.AbortOnFail;
import io.salvo.thresholds.Criterion;
import io.salvo.thresholds.CriterionSyntax;
import io.salvo.thresholds.Figure;
import io.salvo.thresholds.InvalidCriterionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The plan's optional {@code thresholds} section: a list of pass/fail criteria, each either a string
 * ({@code - "p99 < 300ms"}) or a mapping ({@code - check: "errors < 0.1%"} with {@code abortOnFail: true}). YAML
 * reads an unquoted {@code - steady_state: reached} as a mapping; it is taken as the criterion it reads as.
 * The criterion syntax is {@link CriterionSyntax}'s; its messages get the item's line and field path here.
 */
final class ThresholdsReader {

    private static final Set<String> ITEM_KEYS = Set.of("check", "abortOnFail", "steady_state");

    private final PlanNodes nodes;
    private final List<String> regions;
    private final boolean platform;

    /**
     * @param regions  the plan's regions, which region[NAME] criteria must name (empty: the plan has none)
     * @param platform whether the plan deploys through a platform section, the only way a run gets a cost estimate
     */
    ThresholdsReader(PlanNodes nodes, List<String> regions, boolean platform) {
        this.nodes = nodes;
        this.regions = List.copyOf(regions);
        this.platform = platform;
    }

    List<ThresholdCriterion> read(Node node) throws PlanException {
        if (!(node instanceof SequenceNode sequence)) {
            throw nodes.error(
                    node, "thresholds", "must be a list of criteria, e.g. - \"p99 < 300ms\" (see docs/user-guide.md)");
        }
        List<ThresholdCriterion> criteria = new ArrayList<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            criteria.add(
                    item(sequence.getValue().get(i), "thresholds[" + i + "]").toProto());
        }
        return criteria;
    }

    private Criterion item(Node item, String field) throws PlanException {
        if (!(item instanceof MappingNode)) {
            return criterion(item, field, nodes.scalar(item, field));
        }
        Map<String, NodeTuple> keys = nodes.mapping(item, field, ITEM_KEYS);
        NodeTuple check = keys.get("check");
        NodeTuple steady = keys.get("steady_state");
        Criterion criterion;
        if (steady != null) {
            if (check != null) {
                throw nodes.error(
                        steady.getKeyNode(),
                        field + ".steady_state",
                        "give the criterion once: either check: \"steady_state == reached\" or steady_state: reached");
            }
            Node value = steady.getValueNode();
            criterion = criterion(value, field + ".steady_state", "steady_state: " + nodes.scalar(value, field));
        } else {
            check = nodes.require(keys, "check", field + ".", item);
            criterion = criterion(check.getValueNode(), field + ".check", nodes.scalar(check.getValueNode(), field));
        }
        NodeTuple abort = keys.get("abortOnFail");
        if (abort != null && bool(abort.getValueNode(), field + ".abortOnFail")) {
            criterion = criterion.withAbortOnFail(true);
            String unsupported = AbortOnFail.unsupportedReason(criterion).orElse(null);
            if (unsupported != null) {
                throw nodes.error(abort.getKeyNode(), field + ".abortOnFail", unsupported);
            }
        }
        return criterion;
    }

    private Criterion criterion(Node node, String field, String text) throws PlanException {
        Criterion criterion;
        try {
            criterion = CriterionSyntax.parse(text);
        } catch (InvalidCriterionException e) {
            throw nodes.error(node, field, e.getMessage());
        }
        String region = criterion.figure().region().orElse(null);
        if (region != null && !regions.contains(region)) {
            throw nodes.error(
                    node,
                    field,
                    regions.isEmpty()
                            ? "'" + text.strip() + "' names region '" + region
                                    + "', but the plan has no regions section"
                            : "unknown region '" + region + "' (the plan's regions: " + String.join(", ", regions)
                                    + ")");
        }
        // Without a platform section nothing bills the run, so the criterion could only fail: say so before the run.
        if (criterion.figure().kind() == Figure.Kind.MONEY && !platform) {
            throw nodes.error(
                    node,
                    field,
                    "'" + criterion.figure().name() + "' is the run's estimated cost, which only a plan with a "
                            + "platform: section has (docs/cost.md)");
        }
        return criterion;
    }

    private boolean bool(Node node, String field) throws PlanException {
        String text = nodes.scalar(node, field).strip().toLowerCase(Locale.ROOT);
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw nodes.error(node, field, "must be true or false, got '" + text + "'");
        };
    }
}
