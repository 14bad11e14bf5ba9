package io.salvo.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.RequestTemplate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The plan's {@code target} section: URL, method, headers, the body file (one JSON body per line) and the TLS CA
 * file, read into the {@link RequestTemplate} every worker sends. Files are read and checked here, so that a body or
 * certificate a worker could not use is refused with the plan's line before anything is sent.
 */
final class TargetReader {

    /** Bodies travel inside the assignment message; keep them well under the gRPC message limit. */
    static final long MAX_BODY_FILE_BYTES = 2L * 1024 * 1024;
    /** A CA bundle travels in every assignment; real bundles are tens of KB. */
    static final long MAX_CA_FILE_BYTES = 1024 * 1024;

    private static final Set<String> TARGET_KEYS = Set.of("url", "method", "headers", "bodyFile", "tls");
    private static final Set<String> TLS_KEYS = Set.of("caFile");
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    /** Only checks that each body line is JSON; thread-safe once built. */
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Stands in for a deployment's endpoint until {@code salvo run} knows it; never contacted. */
    static final String PLATFORM_PLACEHOLDER = "http://platform.invalid";

    private final PlanNodes nodes;
    private final boolean pathForPlatform;

    TargetReader(PlanNodes nodes) {
        this(nodes, false);
    }

    /** With {@code pathForPlatform}, the URL may be a path ({@code /v2/...}) that the deployment's endpoint completes. */
    TargetReader(PlanNodes nodes, boolean pathForPlatform) {
        this.nodes = nodes;
        this.pathForPlatform = pathForPlatform;
    }

    /** Reads the section at {@code node}; relative files resolve against {@code baseDir} (or the working directory). */
    RequestTemplate read(Node node, Path baseDir) throws PlanException {
        Map<String, NodeTuple> target = nodes.mapping(node, "target", TARGET_KEYS);
        RequestTemplate.Builder request = RequestTemplate.newBuilder();
        NodeTuple url = nodes.require(target, "url", "target.", node);
        request.setUrl(parseUrl(url.getValueNode()));

        String method = nodes.optionalString(target, "method", "target.", "GET").toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw nodes.error(
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
                throw nodes.error(headerNode, "target.headers", "must be a mapping of header name to value");
            }
            for (NodeTuple header : map.getValue()) {
                String headerName = nodes.scalar(header.getKeyNode(), "target.headers");
                if (!headerName.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    throw nodes.error(
                            header.getKeyNode(),
                            "target.headers",
                            "'" + headerName + "' is not a valid HTTP header name");
                }
                String value = nodes.scalar(header.getValueNode(), "target.headers." + headerName);
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
                throw nodes.error(
                        tls.getKeyNode(),
                        "target.tls",
                        "applies to https:// URLs only, and the URL is " + request.getUrl());
            }
            Map<String, NodeTuple> settings = nodes.mapping(tls.getValueNode(), "target.tls", TLS_KEYS);
            NodeTuple caFile = nodes.require(settings, "caFile", "target.tls.", tls.getValueNode());
            request.setTrustedCaCertificatesPem(readCaCertificates(caFile.getValueNode(), baseDir));
        }
        return request.build();
    }

    /** The PEM file's bytes, once they are known to hold at least one X.509 certificate and nothing else. */
    private ByteString readCaCertificates(Node node, Path baseDir) throws PlanException {
        String name = nodes.scalar(node, "target.tls.caFile");
        Path path = baseDir == null ? Path.of(name) : baseDir.resolve(name);
        if (!Files.isRegularFile(path)) {
            throw nodes.error(node, "target.tls.caFile", "CA certificate file not found: " + path);
        }
        byte[] pem;
        try {
            if (Files.size(path) > MAX_CA_FILE_BYTES) {
                throw nodes.error(node, "target.tls.caFile", "CA certificate file " + path + " is larger than 1 MiB");
            }
            pem = Files.readAllBytes(path);
        } catch (IOException e) {
            throw nodes.error(
                    node, "target.tls.caFile", "cannot read CA certificate file " + path + ": " + e.getMessage());
        }
        // The workers' TLS stack reads PEM blocks only, where CertificateFactory also takes DER and PKCS#7.
        if (!new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
            throw nodes.error(
                    node,
                    "target.tls.caFile",
                    "no certificate in " + path + " (expected PEM 'BEGIN CERTIFICATE' blocks)");
        }
        try {
            var certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certificates.isEmpty()) {
                throw nodes.error(
                        node,
                        "target.tls.caFile",
                        "no certificate in " + path + " (expected PEM 'BEGIN CERTIFICATE' blocks)");
            }
        } catch (CertificateException e) {
            throw nodes.error(node, "target.tls.caFile", path + " is not a PEM certificate file: " + e.getMessage());
        }
        return ByteString.copyFrom(pem);
    }

    private String parseUrl(Node node) throws PlanException {
        String text = nodes.scalar(node, "target.url");
        if (pathForPlatform) {
            if (!text.startsWith("/")) {
                throw nodes.error(
                        node,
                        "target.url",
                        "with a platform section, the target is a path on the deployment (such as"
                                + " /v2/models/minilm/infer), got '" + text + "'");
            }
            text = PLATFORM_PLACEHOLDER + text;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("http://") || lower.startsWith("https://"))) {
            throw nodes.error(node, "target.url", "malformed URL '" + text + "': must start with http:// or https://");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw nodes.error(node, "target.url", "malformed URL '" + text + "': " + e.getReason());
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw nodes.error(node, "target.url", "malformed URL '" + text + "': no host");
        }
        return text;
    }

    private List<ByteString> readBodies(Node node, Path baseDir) throws PlanException {
        String name = nodes.scalar(node, "target.bodyFile");
        Path path = baseDir == null ? Path.of(name) : baseDir.resolve(name);
        if (!Files.isRegularFile(path)) {
            throw nodes.error(node, "target.bodyFile", "body file not found: " + path);
        }
        List<String> lines;
        try {
            if (Files.size(path) > MAX_BODY_FILE_BYTES) {
                throw nodes.error(
                        node,
                        "target.bodyFile",
                        "body file " + path + " is larger than " + MAX_BODY_FILE_BYTES / (1024 * 1024) + " MiB");
            }
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw nodes.error(node, "target.bodyFile", "cannot read body file " + path + ": " + e.getMessage());
        }
        List<ByteString> bodies = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new PlanException(
                        path.toString(), i + 1, "target.bodyFile", "line is not valid JSON: " + e.getOriginalMessage());
            }
            bodies.add(ByteString.copyFromUtf8(line));
        }
        if (bodies.isEmpty()) {
            throw nodes.error(node, "target.bodyFile", "body file " + path + " has no non-empty lines");
        }
        return bodies;
    }
}
