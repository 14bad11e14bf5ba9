package io.salvo.plan;

import io.salvo.core.plan.PlanChecks;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RunPlan;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a YAML run plan into a {@link RunPlan}. Every problem is reported as a {@link PlanException}
 * naming the file, the 1-based line and the field path, before anything is sent anywhere.
 *
 * <p>Works on SnakeYAML's node graph rather than on bound objects because nodes keep their source
 * positions, which is what lets each message point at the line to fix ({@link PlanNodes}). This class reads the top
 * level and its single values; the {@code target}, {@code phases}, {@code steadyState} and {@code thresholds} sections have their own
 * readers.
 */
public final class PlanParser {

    public static final int DEFAULT_INTERVAL_MILLIS = 1000;
    public static final int DEFAULT_REQUEST_TIMEOUT_MILLIS = 30_000;
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 5_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 512;
    public static final int DEFAULT_LATE_SEND_THRESHOLD_MICROS = 1000;
    public static final List<String> DEFAULT_CAPTURED_HEADERS = List.of("Salvo-Instance-Id");

    private static final Set<String> TOP_LEVEL_KEYS = Set.of(
            "name",
            "target",
            "phases",
            "arrival",
            "workers",
            "interval",
            "timeouts",
            "maxInFlight",
            "maxConnections",
            "preconnect",
            "sendAhead",
            "lateSendThreshold",
            "captureHeaders",
            "seed",
            "steadyState",
            "thresholds",
            "platform",
            "regions");
    private static final Set<String> TIMEOUT_KEYS = Set.of("request", "connect");

    /**
     * Parses the plan at {@code path}; relative body files resolve against the plan's folder. A plan with a
     * {@code platform} section is refused: only {@link #parseDocument(Path)} ({@code salvo run}) deploys.
     */
    public static RunPlan parse(Path path) throws PlanException {
        PlanDocument document = parseDocument(path);
        if (document.platform() != null) {
            throw new PlanException(
                    path.toString(),
                    document.platform().line(),
                    "platform",
                    "only salvo run deploys through a platform section; give target.url instead");
        }
        return document.plan();
    }

    /** Parses the plan at {@code path} with its optional {@code platform} section. */
    public static PlanDocument parseDocument(Path path) throws PlanException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PlanException(path.toString(), 0, "", "plan file not found");
        } catch (IOException e) {
            throw new PlanException(path.toString(), 0, "", "cannot read the plan file: " + e.getMessage());
        }
        Path folder = path.toAbsolutePath().getParent();
        return new PlanParser().parseDocument(path.toString(), new StringReader(text), folder);
    }

    /** Parses plan text; {@code name} is used in messages, {@code baseDir} resolves body files. */
    public RunPlan parse(String name, Reader yaml, Path baseDir) throws PlanException {
        PlanDocument document = parseDocument(name, yaml, baseDir);
        if (document.platform() != null) {
            throw new PlanException(
                    name,
                    document.platform().line(),
                    "platform",
                    "only salvo run deploys through a platform section; give target.url instead");
        }
        return document.plan();
    }

    /** Parses plan text with its optional {@code platform} section. */
    public PlanDocument parseDocument(String name, Reader yaml, Path baseDir) throws PlanException {
        PlanNodes nodes = new PlanNodes(name);
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(yaml);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new PlanException(name, line, "", "not readable as YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new PlanException(name, 0, "", "not readable as YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new PlanException(name, 1, "", "the plan is empty");
        }
        Map<String, NodeTuple> top = nodes.mapping(root, "", TOP_LEVEL_KEYS);

        RunPlan.Builder plan = RunPlan.newBuilder().setSource(name);
        plan.setName(nodes.optionalString(top, "name", "", "unnamed"));

        NodeTuple platformTuple = top.get("platform");
        PlatformSection platform = platformTuple == null
                ? null
                : new PlatformSectionReader(nodes, name).read(platformTuple.getValueNode());
        NodeTuple target = nodes.require(top, "target", "", root);
        plan.setRequest(new TargetReader(nodes, platform != null).read(target.getValueNode(), baseDir));
        String targetPath = platform == null
                ? null
                : plan.getRequest().getUrl().substring(TargetReader.PLATFORM_PLACEHOLDER.length());

        NodeTuple regionsTuple = top.get("regions");
        RegionsReader.Regions regions =
                regionsTuple == null ? null : new RegionsReader(nodes).read(regionsTuple.getValueNode());

        NodeTuple phases = nodes.require(top, "phases", "", root);
        new PhasesReader(nodes)
                .read(phases.getValueNode(), plan, regions != null && regions.rates() ? regions.totalRate() : null);

        plan.setArrival(arrival(nodes, top.get("arrival")));
        if (regions == null) {
            plan.setWorkerCount(nodes.optionalPositiveInt(top, "workers", "", 1, 10_000));
        } else {
            plan.addAllRegions(regions.shares());
            plan.setWorkerCount(regionWorkers(nodes, top.get("workers"), regions));
        }
        plan.setIntervalMillis(
                (int) nodes.optionalDurationMillis(top, "interval", "", DEFAULT_INTERVAL_MILLIS, 10, 60_000));

        NodeTuple timeouts = top.get("timeouts");
        int requestTimeout = DEFAULT_REQUEST_TIMEOUT_MILLIS;
        int connectTimeout = DEFAULT_CONNECT_TIMEOUT_MILLIS;
        if (timeouts != null) {
            Map<String, NodeTuple> t = nodes.mapping(timeouts.getValueNode(), "timeouts", TIMEOUT_KEYS);
            requestTimeout =
                    (int) nodes.optionalDurationMillis(t, "request", "timeouts.", requestTimeout, 1, 3_600_000);
            connectTimeout = (int) nodes.optionalDurationMillis(t, "connect", "timeouts.", connectTimeout, 1, 600_000);
        }
        plan.setRequestTimeoutMillis(requestTimeout).setConnectTimeoutMillis(connectTimeout);
        plan.setMaxInFlightPerWorker(
                nodes.optionalPositiveInt(top, "maxInFlight", "", DEFAULT_MAX_IN_FLIGHT, 1_000_000));
        plan.setMaxConnectionsPerWorker(
                nodes.optionalPositiveInt(top, "maxConnections", "", DEFAULT_MAX_CONNECTIONS, 100_000));
        NodeTuple preconnect = top.get("preconnect");
        if (preconnect != null) {
            long connections = nodes.longValue(preconnect.getValueNode(), "preconnect", 0, 100_000);
            if (connections > plan.getMaxConnectionsPerWorker()) {
                throw nodes.error(
                        preconnect.getValueNode(),
                        "preconnect",
                        "must be at most maxConnections (" + plan.getMaxConnectionsPerWorker() + "), got "
                                + connections);
            }
            plan.setPreconnectPerWorker((int) connections);
        }
        NodeTuple sendAhead = top.get("sendAhead");
        if (sendAhead != null) {
            long micros = nodes.durationMicros(sendAhead.getValueNode(), "sendAhead", 0);
            if (micros > PlanChecks.MAX_SEND_AHEAD_MICROS) {
                throw nodes.error(
                        sendAhead.getValueNode(),
                        "sendAhead",
                        "must be at most " + PlanChecks.MAX_SEND_AHEAD_MICROS / 1_000
                                + "ms (a wider window changes the arrival process), got '"
                                + nodes.scalar(sendAhead.getValueNode(), "sendAhead")
                                        .strip()
                                + "'");
            }
            plan.setSendAheadMicros((int) micros);
        }
        NodeTuple late = top.get("lateSendThreshold");
        plan.setLateSendThresholdMicros(
                late == null
                        ? DEFAULT_LATE_SEND_THRESHOLD_MICROS
                        : (int) Math.min(
                                Integer.MAX_VALUE, nodes.durationMicros(late.getValueNode(), "lateSendThreshold", 1)));
        plan.addAllCaptureResponseHeaders(capturedHeaders(nodes, top.get("captureHeaders")));
        NodeTuple steady = top.get("steadyState");
        if (steady != null) {
            plan.setSteadyState(new SteadyStateReader(nodes).read(steady.getValueNode()));
        }
        NodeTuple thresholds = top.get("thresholds");
        if (thresholds != null) {
            plan.addAllThresholds(new ThresholdsReader(
                            nodes,
                            plan.getRegionsList().stream()
                                    .map(io.salvo.proto.v1.RegionShare::getRegion)
                                    .toList(),
                            platform != null)
                    .read(thresholds.getValueNode()));
        }
        NodeTuple seed = top.get("seed");
        if (seed != null) {
            plan.setSeed(nodes.longValue(seed.getValueNode(), "seed", 0, Long.MAX_VALUE));
        }
        // The coordinator keeps per-interval state for the whole run; say so here, with the line, not after the
        // workers were waited for.
        long loadMillis = plan.getPhasesList().stream()
                .mapToLong(Phase::getDurationMillis)
                .sum();
        long intervals =
                loadMillis / plan.getIntervalMillis() + plan.getRequestTimeoutMillis() / plan.getIntervalMillis();
        if (intervals > PlanChecks.MAX_INTERVALS) {
            throw nodes.error(
                    phases.getKeyNode(),
                    "phases",
                    String.format(
                            Locale.ROOT,
                            "the phases last %d s, %,d intervals of %d ms; a run has at most %,d intervals: shorten the phases "
                                    + "or lengthen interval",
                            loadMillis / 1000,
                            intervals,
                            plan.getIntervalMillis(),
                            PlanChecks.MAX_INTERVALS));
        }
        return new PlanDocument(plan.build(), platform, targetPath);
    }

    /**
     * The plan's {@code workers} with regions: at least one per region (or the region's own count); when every region
     * fixes its count, their sum. Left out, the fewest the regions need.
     */
    private static int regionWorkers(PlanNodes nodes, NodeTuple workers, RegionsReader.Regions regions)
            throws PlanException {
        int minimum = regions.minimumWorkers();
        if (workers == null) {
            return minimum;
        }
        int count = (int) nodes.longValue(workers.getValueNode(), "workers", 1, 10_000);
        if (count < minimum) {
            throw nodes.error(
                    workers.getValueNode(),
                    "workers",
                    "the regions need at least " + minimum + " workers (one per region, or the region's own "
                            + "workers), got " + count);
        }
        if (regions.allFixed() && count != minimum) {
            throw nodes.error(
                    workers.getValueNode(),
                    "workers",
                    "every region fixes its workers, " + minimum + " in all; leave workers out or make it " + minimum
                            + ", got " + count);
        }
        return count;
    }

    private static ArrivalProcess arrival(PlanNodes nodes, NodeTuple tuple) throws PlanException {
        if (tuple == null) {
            return ArrivalProcess.ARRIVAL_PROCESS_CONSTANT;
        }
        String value = nodes.scalar(tuple.getValueNode(), "arrival").toLowerCase(Locale.ROOT);
        return switch (value) {
            case "constant" -> ArrivalProcess.ARRIVAL_PROCESS_CONSTANT;
            case "poisson" -> ArrivalProcess.ARRIVAL_PROCESS_POISSON;
            default ->
                throw nodes.error(
                        tuple.getValueNode(),
                        "arrival",
                        "unknown arrival process '" + value + "' (expected constant or poisson)");
        };
    }

    private static List<String> capturedHeaders(PlanNodes nodes, NodeTuple tuple) throws PlanException {
        if (tuple == null) {
            return DEFAULT_CAPTURED_HEADERS;
        }
        if (!(tuple.getValueNode() instanceof SequenceNode sequence)) {
            throw nodes.error(tuple.getValueNode(), "captureHeaders", "must be a list of header names");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            names.add(nodes.scalar(sequence.getValue().get(i), "captureHeaders[" + i + "]"));
        }
        return names;
    }
}
