package io.salvo.plan;

import io.salvo.proto.v1.RegionShare;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The plan's optional {@code regions} section: region label to a weight ({@code us-east1: 2}) or to a mapping with a
 * {@code weight} or a {@code rate} (requests per second) and optionally how many {@code workers} the region gives
 * ({@code europe-west1: {rate: 100, workers: 2}}). Every region has a weight or every region has a rate.
 */
final class RegionsReader {

    private static final Set<String> REGION_KEYS = Set.of("weight", "rate", "workers");
    /** What a worker's --region may hold and a Kubernetes label value allows. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");

    private final PlanNodes nodes;

    RegionsReader(PlanNodes nodes) {
        this.nodes = nodes;
    }

    /** The regions as the plan gives them, and whether they gave rates. */
    record Regions(List<RegionShare> shares, boolean rates, Node node) {

        /** The sum of the regions' rates (requests per second); meaningful only with {@link #rates}. */
        double totalRate() {
            return shares.stream().mapToDouble(RegionShare::getRatePerSecond).sum();
        }

        /** The fewest workers the regions need: their fixed counts, and one for each region without one. */
        int minimumWorkers() {
            return shares.stream().mapToInt(r -> Math.max(1, r.getWorkers())).sum();
        }

        /** Whether every region fixes its worker count. */
        boolean allFixed() {
            return shares.stream().allMatch(r -> r.getWorkers() > 0);
        }
    }

    Regions read(Node node) throws PlanException {
        if (!(node instanceof MappingNode map) || map.getValue().isEmpty()) {
            throw nodes.error(
                    node,
                    "regions",
                    "must be a mapping of region to weight or rate, e.g. {us-east1: 2, europe-west1: 1}");
        }
        List<RegionShare> shares = new ArrayList<>();
        Boolean rates = null;
        List<String> seen = new ArrayList<>();
        for (NodeTuple tuple : map.getValue()) {
            String region = nodes.scalar(tuple.getKeyNode(), "regions.(key)");
            String field = "regions." + region;
            if (!LABEL.matcher(region).matches()) {
                throw nodes.error(
                        tuple.getKeyNode(),
                        field,
                        "a region is a worker's --region label: letters, digits, '-', '_' and '.', at most 63");
            }
            if (seen.contains(region)) {
                throw nodes.error(tuple.getKeyNode(), field, "duplicate region");
            }
            seen.add(region);
            RegionShare.Builder share = RegionShare.newBuilder().setRegion(region);
            Node value = tuple.getValueNode();
            boolean rate;
            if (value instanceof ScalarNode) {
                share.setWeight(positive(value, field));
                rate = false;
            } else {
                Map<String, NodeTuple> entry = nodes.mapping(value, field, REGION_KEYS);
                NodeTuple weight = entry.get("weight");
                NodeTuple perSecond = entry.get("rate");
                if ((weight == null) == (perSecond == null)) {
                    throw nodes.error(value, field, "give the region a weight or a rate (requests per second)");
                }
                if (weight != null) {
                    share.setWeight(positive(weight.getValueNode(), field + ".weight"));
                } else {
                    double r = positive(perSecond.getValueNode(), field + ".rate");
                    share.setWeight(r).setRatePerSecond(r);
                }
                rate = perSecond != null;
                NodeTuple workers = entry.get("workers");
                if (workers != null) {
                    share.setWorkers((int) nodes.longValue(workers.getValueNode(), field + ".workers", 1, 10_000));
                }
            }
            if (rates != null && rates != rate) {
                throw nodes.error(
                        tuple.getKeyNode(),
                        field,
                        "every region has a weight or every region has a rate; "
                                + (rates ? "the regions before give rates" : "the regions before give weights"));
            }
            rates = rate;
            shares.add(share.build());
        }
        return new Regions(shares, rates, node);
    }

    private double positive(Node node, String field) throws PlanException {
        double value = nodes.number(node, field);
        if (value <= 0) {
            throw nodes.error(node, field, "must be greater than 0, got " + nodes.scalar(node, field));
        }
        return value;
    }
}
