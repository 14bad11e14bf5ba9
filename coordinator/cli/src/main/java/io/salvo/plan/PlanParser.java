package io.salvo.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.salvo.core.plan.PlanChecks;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.SteadyStateRule;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a YAML run plan into a {@link RunPlan}. Every problem is reported as a {@link PlanException}
 * naming the file, the 1-based line and the field path, before anything is sent anywhere.
 *
 * <p>Works on SnakeYAML's node graph rather than on bound objects because nodes keep their source
 * positions, which is what lets each message point at the line to fix.
 */
public final class PlanParser {

    public static final int DEFAULT_INTERVAL_MILLIS = 1000;
    public static final int DEFAULT_REQUEST_TIMEOUT_MILLIS = 30_000;
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 5_000;
    public static final int DEFAULT_MAX_IN_FLIGHT = 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 512;
    public static final int DEFAULT_LATE_SEND_THRESHOLD_MICROS = 1000;
    public static final List<String> DEFAULT_CAPTURED_HEADERS = List.of("Salvo-Instance-Id");

    /** Bodies travel inside the assignment message; keep them well under the gRPC message limit. */
    static final long MAX_BODY_FILE_BYTES = 2L * 1024 * 1024;

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
            "lateSendThreshold",
            "captureHeaders",
            "seed",
            "steadyState");
    private static final Set<String> STEADY_STATE_KEYS =
            Set.of("window", "minRateRatio", "maxErrorRatio", "maxP95Spread");
    private static final Set<String> TARGET_KEYS = Set.of("url", "method", "headers", "bodyFile", "tls");
    private static final Set<String> TLS_KEYS = Set.of("caFile");
    /** A CA bundle travels in every assignment; real bundles are tens of KB. */
    static final long MAX_CA_FILE_BYTES = 1024 * 1024;

    private static final Set<String> PHASE_KEYS = Set.of("duration", "rate");
    private static final Set<String> RAMP_KEYS = Set.of("from", "to", "steps");
    private static final Set<String> TIMEOUT_KEYS = Set.of("request", "connect");
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m|h)");

    private final ObjectMapper json = new ObjectMapper();
    private String file;

    /** Parses the plan at {@code path}; relative body files resolve against the plan's folder. */
    public static RunPlan parse(Path path) throws PlanException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PlanException(path.toString(), 0, "", "plan file not found");
        } catch (IOException e) {
            throw new PlanException(path.toString(), 0, "", "cannot read the plan file: " + e.getMessage());
        }
        Path folder = path.toAbsolutePath().getParent();
        return new PlanParser().parse(path.toString(), new StringReader(text), folder);
    }

    /** Parses plan text; {@code name} is used in messages, {@code baseDir} resolves body files. */
    public RunPlan parse(String name, Reader yaml, Path baseDir) throws PlanException {
        this.file = name;
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(yaml);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new PlanException(file, line, "", "not readable as YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new PlanException(file, 0, "", "not readable as YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new PlanException(file, 1, "", "the plan is empty");
        }
        Map<String, NodeTuple> top = mapping(root, "", TOP_LEVEL_KEYS);

        RunPlan.Builder plan = RunPlan.newBuilder().setSource(name);
        plan.setName(optionalString(top, "name", "", "unnamed"));

        NodeTuple target = require(top, "target", "", root);
        plan.setRequest(parseTarget(target.getValueNode(), baseDir));

        NodeTuple phases = require(top, "phases", "", root);
        parsePhases(phases.getValueNode(), plan);

        plan.setArrival(parseArrival(top.get("arrival")));
        plan.setWorkerCount(optionalPositiveInt(top, "workers", "", 1, 10_000));
        plan.setIntervalMillis((int) optionalDurationMillis(top, "interval", "", DEFAULT_INTERVAL_MILLIS, 10, 60_000));

        NodeTuple timeouts = top.get("timeouts");
        int requestTimeout = DEFAULT_REQUEST_TIMEOUT_MILLIS;
        int connectTimeout = DEFAULT_CONNECT_TIMEOUT_MILLIS;
        if (timeouts != null) {
            Map<String, NodeTuple> t = mapping(timeouts.getValueNode(), "timeouts", TIMEOUT_KEYS);
            requestTimeout = (int) optionalDurationMillis(t, "request", "timeouts.", requestTimeout, 1, 3_600_000);
            connectTimeout = (int) optionalDurationMillis(t, "connect", "timeouts.", connectTimeout, 1, 600_000);
        }
        plan.setRequestTimeoutMillis(requestTimeout).setConnectTimeoutMillis(connectTimeout);
        plan.setMaxInFlightPerWorker(optionalPositiveInt(top, "maxInFlight", "", DEFAULT_MAX_IN_FLIGHT, 1_000_000));
        plan.setMaxConnectionsPerWorker(
                optionalPositiveInt(top, "maxConnections", "", DEFAULT_MAX_CONNECTIONS, 100_000));
        NodeTuple late = top.get("lateSendThreshold");
        plan.setLateSendThresholdMicros(
                late == null
                        ? DEFAULT_LATE_SEND_THRESHOLD_MICROS
                        : (int) Math.min(
                                Integer.MAX_VALUE, durationMicros(late.getValueNode(), "lateSendThreshold", 1)));
        plan.addAllCaptureResponseHeaders(parseCapturedHeaders(top.get("captureHeaders")));
        NodeTuple steady = top.get("steadyState");
        if (steady != null) {
            plan.setSteadyState(parseSteadyState(steady.getValueNode()));
        }
        NodeTuple seed = top.get("seed");
        if (seed != null) {
            plan.setSeed(longValue(seed.getValueNode(), "seed", 0, Long.MAX_VALUE));
        }
        // The coordinator keeps per-interval state for the whole run; say so here, with the line, not after the
        // workers were waited for.
        long loadMillis = plan.getPhasesList().stream()
                .mapToLong(Phase::getDurationMillis)
                .sum();
        long intervals =
                loadMillis / plan.getIntervalMillis() + plan.getRequestTimeoutMillis() / plan.getIntervalMillis();
        if (intervals > PlanChecks.MAX_INTERVALS) {
            throw error(
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
        return plan.build();
    }

    private RequestTemplate parseTarget(Node node, Path baseDir) throws PlanException {
        Map<String, NodeTuple> target = mapping(node, "target", TARGET_KEYS);
        RequestTemplate.Builder request = RequestTemplate.newBuilder();
        NodeTuple url = require(target, "url", "target.", node);
        request.setUrl(parseUrl(url.getValueNode()));

        String method = optionalString(target, "method", "target.", "GET").toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw error(
                    target.get("method").getValueNode(),
                    "target.method",
                    "unknown HTTP method '" + method + "' (expected one of "
                            + String.join(", ", METHODS.stream().sorted().toList()) + ")");
        }
        request.setMethod(method);

        NodeTuple headers = target.get("headers");
        if (headers != null) {
            Node headerNode = headers.getValueNode();
            if (!(headerNode instanceof MappingNode map)) {
                throw error(headerNode, "target.headers", "must be a mapping of header name to value");
            }
            for (NodeTuple header : map.getValue()) {
                String headerName = scalar(header.getKeyNode(), "target.headers");
                if (!headerName.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    throw error(
                            header.getKeyNode(),
                            "target.headers",
                            "'" + headerName + "' is not a valid HTTP header name");
                }
                String value = scalar(header.getValueNode(), "target.headers." + headerName);
                request.addHeaders(Header.newBuilder().setName(headerName).setValue(value));
            }
        }

        NodeTuple bodyFile = target.get("bodyFile");
        if (bodyFile != null) {
            request.addAllBodies(readBodies(bodyFile.getValueNode(), baseDir));
        }

        NodeTuple tls = target.get("tls");
        if (tls != null) {
            if (!request.getUrl().toLowerCase(Locale.ROOT).startsWith("https://")) {
                throw error(
                        tls.getKeyNode(),
                        "target.tls",
                        "applies to https:// URLs only, and the URL is " + request.getUrl());
            }
            Map<String, NodeTuple> settings = mapping(tls.getValueNode(), "target.tls", TLS_KEYS);
            NodeTuple caFile = require(settings, "caFile", "target.tls.", tls.getValueNode());
            request.setTrustedCaCertificatesPem(readCaCertificates(caFile.getValueNode(), baseDir));
        }
        return request.build();
    }

    /** The PEM file's bytes, once they are known to hold at least one X.509 certificate and nothing else. */
    private ByteString readCaCertificates(Node node, Path baseDir) throws PlanException {
        String name = scalar(node, "target.tls.caFile");
        Path path = baseDir == null ? Path.of(name) : baseDir.resolve(name);
        if (!Files.isRegularFile(path)) {
            throw error(node, "target.tls.caFile", "CA certificate file not found: " + path);
        }
        byte[] pem;
        try {
            if (Files.size(path) > MAX_CA_FILE_BYTES) {
                throw error(node, "target.tls.caFile", "CA certificate file " + path + " is larger than 1 MiB");
            }
            pem = Files.readAllBytes(path);
        } catch (IOException e) {
            throw error(node, "target.tls.caFile", "cannot read CA certificate file " + path + ": " + e.getMessage());
        }
        // The workers' TLS stack reads PEM blocks only, where CertificateFactory also takes DER and PKCS#7.
        if (!new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
            throw error(
                    node,
                    "target.tls.caFile",
                    "no certificate in " + path + " (expected PEM 'BEGIN CERTIFICATE' blocks)");
        }
        try {
            var certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certificates.isEmpty()) {
                throw error(
                        node,
                        "target.tls.caFile",
                        "no certificate in " + path + " (expected PEM 'BEGIN CERTIFICATE' blocks)");
            }
        } catch (CertificateException e) {
            throw error(node, "target.tls.caFile", path + " is not a PEM certificate file: " + e.getMessage());
        }
        return ByteString.copyFrom(pem);
    }

    private String parseUrl(Node node) throws PlanException {
        String text = scalar(node, "target.url");
        String lower = text.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("http://") || lower.startsWith("https://"))) {
            throw error(node, "target.url", "malformed URL '" + text + "': must start with http:// or https://");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw error(node, "target.url", "malformed URL '" + text + "': " + e.getReason());
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw error(node, "target.url", "malformed URL '" + text + "': no host");
        }
        return text;
    }

    private List<ByteString> readBodies(Node node, Path baseDir) throws PlanException {
        String name = scalar(node, "target.bodyFile");
        Path path = baseDir == null ? Path.of(name) : baseDir.resolve(name);
        if (!Files.isRegularFile(path)) {
            throw error(node, "target.bodyFile", "body file not found: " + path);
        }
        List<String> lines;
        try {
            if (Files.size(path) > MAX_BODY_FILE_BYTES) {
                throw error(
                        node,
                        "target.bodyFile",
                        "body file " + path + " is larger than " + MAX_BODY_FILE_BYTES / (1024 * 1024) + " MiB");
            }
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw error(node, "target.bodyFile", "cannot read body file " + path + ": " + e.getMessage());
        }
        List<ByteString> bodies = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                json.readTree(line);
            } catch (JsonProcessingException e) {
                throw new PlanException(
                        path.toString(), i + 1, "target.bodyFile", "line is not valid JSON: " + e.getOriginalMessage());
            }
            bodies.add(ByteString.copyFromUtf8(line));
        }
        if (bodies.isEmpty()) {
            throw error(node, "target.bodyFile", "body file " + path + " has no non-empty lines");
        }
        return bodies;
    }

    private void parsePhases(Node node, RunPlan.Builder plan) throws PlanException {
        if (!(node instanceof SequenceNode sequence) || sequence.getValue().isEmpty()) {
            throw error(node, "phases", "must be a non-empty list of phases (each with duration and rate)");
        }
        List<Node> items = sequence.getValue();
        for (int i = 0; i < items.size(); i++) {
            String field = "phases[" + i + "]";
            Node item = items.get(i);
            Map<String, NodeTuple> phase = mapping(item, field, PHASE_KEYS);
            NodeTuple duration = require(phase, "duration", field + ".", item);
            long durationMillis = durationMicros(duration.getValueNode(), field + ".duration", 1000) / 1000;
            NodeTuple rate = require(phase, "rate", field + ".", item);
            plan.addPhases(parseRate(rate.getValueNode(), field + ".rate").setDurationMillis(durationMillis));
        }
    }

    private Phase.Builder parseRate(Node node, String field) throws PlanException {
        if (node instanceof ScalarNode) {
            double rate = positiveNumber(node, field);
            return Phase.newBuilder().setStartRatePerSecond(rate).setEndRatePerSecond(rate);
        }
        Map<String, NodeTuple> ramp = mapping(node, field, RAMP_KEYS);
        NodeTuple from = require(ramp, "from", field + ".", node);
        NodeTuple to = require(ramp, "to", field + ".", node);
        double start = nonNegativeNumber(from.getValueNode(), field + ".from");
        double end = nonNegativeNumber(to.getValueNode(), field + ".to");
        if (start == 0 && end == 0) {
            throw error(node, field, "a ramp from 0 to 0 sends nothing; at least one end must be > 0");
        }
        Phase.Builder phase = Phase.newBuilder().setStartRatePerSecond(start).setEndRatePerSecond(end);
        NodeTuple steps = ramp.get("steps");
        if (steps != null) {
            phase.setSteps((int) longValue(steps.getValueNode(), field + ".steps", 2, 10_000));
        }
        return phase;
    }

    private SteadyStateRule parseSteadyState(Node node) throws PlanException {
        Map<String, NodeTuple> rule = mapping(node, "steadyState", STEADY_STATE_KEYS);
        SteadyStateRule.Builder b = SteadyStateRule.newBuilder();
        NodeTuple window = rule.get("window");
        if (window != null) {
            b.setWindowIntervals((int) longValue(window.getValueNode(), "steadyState.window", 1, 1000));
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
            double value = number(spread.getValueNode(), "steadyState.maxP95Spread");
            if (value < 1) {
                throw error(
                        spread.getValueNode(),
                        "steadyState.maxP95Spread",
                        "must be at least 1 (it is max p95 / min p95), got " + value);
            }
            b.setMaxP95Spread(value);
        }
        return b.build();
    }

    private double ratio(Node node, String field, boolean zeroAllowed) throws PlanException {
        double value = number(node, field);
        if (value > 1 || value < 0 || (!zeroAllowed && value == 0)) {
            throw error(
                    node,
                    field,
                    "must be a fraction " + (zeroAllowed ? "from 0" : "above 0") + " to 1, got " + scalar(node, field));
        }
        return value;
    }

    private ArrivalProcess parseArrival(NodeTuple tuple) throws PlanException {
        if (tuple == null) {
            return ArrivalProcess.ARRIVAL_PROCESS_CONSTANT;
        }
        String value = scalar(tuple.getValueNode(), "arrival").toLowerCase(Locale.ROOT);
        return switch (value) {
            case "constant" -> ArrivalProcess.ARRIVAL_PROCESS_CONSTANT;
            case "poisson" -> ArrivalProcess.ARRIVAL_PROCESS_POISSON;
            default ->
                throw error(
                        tuple.getValueNode(),
                        "arrival",
                        "unknown arrival process '" + value + "' (expected constant or poisson)");
        };
    }

    private List<String> parseCapturedHeaders(NodeTuple tuple) throws PlanException {
        if (tuple == null) {
            return DEFAULT_CAPTURED_HEADERS;
        }
        if (!(tuple.getValueNode() instanceof SequenceNode sequence)) {
            throw error(tuple.getValueNode(), "captureHeaders", "must be a list of header names");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            names.add(scalar(sequence.getValue().get(i), "captureHeaders[" + i + "]"));
        }
        return names;
    }

    // ---- node helpers --------------------------------------------------------------------------

    private Map<String, NodeTuple> mapping(Node node, String field, Set<String> allowed) throws PlanException {
        if (!(node instanceof MappingNode map)) {
            throw error(node, field.isEmpty() ? "(top level)" : field, "must be a mapping of keys to values");
        }
        Map<String, NodeTuple> keys = new LinkedHashMap<>();
        String prefix = field.isEmpty() ? "" : field + ".";
        for (NodeTuple tuple : map.getValue()) {
            String key = scalar(tuple.getKeyNode(), prefix + "(key)");
            if (!allowed.contains(key)) {
                throw error(
                        tuple.getKeyNode(),
                        prefix + key,
                        "unknown key (expected one of "
                                + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
            if (keys.put(key, tuple) != null) {
                throw error(tuple.getKeyNode(), prefix + key, "duplicate key");
            }
        }
        return keys;
    }

    private NodeTuple require(Map<String, NodeTuple> map, String key, String prefix, Node parent) throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            throw error(parent, prefix + key, "missing required key");
        }
        return tuple;
    }

    private String scalar(Node node, String field) throws PlanException {
        if (!(node instanceof ScalarNode scalar)) {
            throw error(node, field, "must be a single value, not a list or mapping");
        }
        return scalar.getValue();
    }

    private String optionalString(Map<String, NodeTuple> map, String key, String prefix, String fallback)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        return tuple == null ? fallback : scalar(tuple.getValueNode(), prefix + key);
    }

    private int optionalPositiveInt(Map<String, NodeTuple> map, String key, String prefix, int fallback, int max)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        return tuple == null ? fallback : (int) longValue(tuple.getValueNode(), prefix + key, 1, max);
    }

    private long optionalDurationMillis(
            Map<String, NodeTuple> map, String key, String prefix, long fallback, long minMillis, long maxMillis)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            return fallback;
        }
        long millis = durationMicros(tuple.getValueNode(), prefix + key, minMillis * 1000) / 1000;
        if (millis > maxMillis) {
            throw error(tuple.getValueNode(), prefix + key, "must be at most " + maxMillis + " ms");
        }
        return millis;
    }

    private long longValue(Node node, String field, long min, long max) throws PlanException {
        String text = scalar(node, field);
        long value;
        try {
            value = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw error(node, field, "must be a whole number, got '" + text + "'");
        }
        if (value < min || value > max) {
            throw error(node, field, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private double number(Node node, String field) throws PlanException {
        String text = scalar(node, field);
        try {
            double value = Double.parseDouble(text.strip());
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw error(node, field, "must be a number, got '" + text + "'");
        }
    }

    private double positiveNumber(Node node, String field) throws PlanException {
        double value = number(node, field);
        if (value <= 0) {
            throw error(node, field, "must be greater than 0 requests per second, got " + scalar(node, field));
        }
        return value;
    }

    private double nonNegativeNumber(Node node, String field) throws PlanException {
        double value = number(node, field);
        if (value < 0) {
            throw error(node, field, "must not be negative, got " + scalar(node, field));
        }
        return value;
    }

    /** Parses "250ms", "10s", "2m", "1h", "500us"; a bare number is refused because its unit is a guess. */
    private long durationMicros(Node node, String field, long minMicros) throws PlanException {
        String text = scalar(node, field).strip();
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw error(node, field, "must be a duration with a unit such as 500ms, 10s, 2m or 1h, got '" + text + "'");
        }
        double amount = Double.parseDouble(m.group(1));
        double micros = amount
                * switch (m.group(2)) {
                    case "us" -> 1;
                    case "ms" -> 1_000;
                    case "s" -> 1_000_000;
                    case "m" -> 60_000_000;
                    default -> 3_600_000_000.0;
                };
        if (micros < minMicros) {
            throw error(node, field, "must be at least " + formatMicros(minMicros) + ", got '" + text + "'");
        }
        if (micros > 7 * 24 * 3_600_000_000.0) {
            throw error(node, field, "must be at most 7 days, got '" + text + "'");
        }
        return (long) micros;
    }

    private static String formatMicros(long micros) {
        if (micros % 1_000_000 == 0) {
            return micros / 1_000_000 + "s";
        }
        if (micros % 1000 == 0) {
            return micros / 1000 + "ms";
        }
        return micros + "us";
    }

    private PlanException error(Node node, String field, String problem) {
        int line = node == null ? 0 : node.getStartMark().getLine() + 1;
        return new PlanException(file, line, field, problem);
    }
}
