package io.salvo.worker.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A run's requests as the bytes that go on the wire, encoded once: one complete HTTP/1.1 request
 * (head and body) per body of the plan's rotation. Sending one costs a buffer duplicate and one
 * write; nothing is formatted per request.
 *
 * <p>The bytes live in direct memory, so the transport writes them without a copy; {@link #close}
 * frees it once no connection can still be writing them (after the engine's lanes closed).
 *
 * <p>The head carries the plan's headers in their order, plus Host (unless the plan sets one),
 * User-Agent (likewise) and Content-Length whenever there is a body or the method normally has
 * one. The plan's own Content-Length and Transfer-Encoding are dropped: the body's framing is
 * this class's job. Headers of the template's {@link RequestHeaderSets} (signatures, tokens) replace the template's
 * headers of the same name; a run that renews them gets a new instance per generation (see the engine's
 * {@code RequestShape}).
 */
public final class EncodedRequests implements AutoCloseable {

    public static final String USER_AGENT = "Salvo-Worker/1";
    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");
    private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding");

    private final HttpTarget target;
    private final boolean head;
    /** Direct buffers, released by {@link #close}. */
    private final ByteBuf[] owned;
    /** Unreleasable views of {@link #owned}: lanes write duplicates of them concurrently for the whole run. */
    private final ByteBuf[] requests;

    private EncodedRequests(HttpTarget target, boolean head, ByteBuf[] owned) {
        this.target = target;
        this.head = head;
        this.owned = owned;
        this.requests = new ByteBuf[owned.length];
        for (int i = 0; i < owned.length; i++) {
            requests[i] = Unpooled.unreleasableBuffer(owned[i]);
        }
    }

    /**
     * Encodes the template's requests with its {@link RequestTemplate#getHeaderSets() header sets}; the message of the
     * exception names what is wrong.
     */
    public static EncodedRequests of(RequestTemplate template) {
        return of(template, template.getHeaderSets());
    }

    /**
     * Encodes the template's requests with {@code headerSets} in place of the template's own: for body i, the
     * template's headers except those {@code shared} or {@code per_body[i]} name, then {@code shared}, then
     * {@code per_body[i]}.
     */
    public static EncodedRequests of(RequestTemplate template, RequestHeaderSets headerSets) {
        HttpTarget target = HttpTarget.of(template.getUrl());
        String method =
                template.getMethod().isEmpty() ? "GET" : template.getMethod().toUpperCase(Locale.ROOT);
        checkToken("method", method);
        int count = Math.max(1, template.getBodiesCount());
        ByteBuf[] requests = new ByteBuf[count];
        try {
            for (int i = 0; i < count; i++) {
                List<Header> added = new ArrayList<>(headerSets.getSharedList());
                if (i < headerSets.getPerBodyCount()) {
                    added.addAll(headerSets.getPerBody(i).getHeadersList());
                }
                byte[] body = template.getBodiesCount() == 0
                        ? new byte[0]
                        : template.getBodies(i).toByteArray();
                StringBuilder full = head(method, target, template.getHeadersList(), added);
                if (body.length > 0 || METHODS_WITH_BODY.contains(method)) {
                    full.append("Content-Length: ").append(body.length).append("\r\n");
                }
                full.append("\r\n");
                byte[] headBytes = full.toString().getBytes(StandardCharsets.ISO_8859_1);
                requests[i] = Unpooled.directBuffer(headBytes.length + body.length)
                        .writeBytes(headBytes)
                        .writeBytes(body);
            }
        } catch (RuntimeException e) {
            for (ByteBuf buffer : requests) {
                if (buffer != null) {
                    buffer.release();
                }
            }
            throw e;
        }
        return new EncodedRequests(target, method.equals("HEAD"), requests);
    }

    /** The request line and headers up to, not including, Content-Length. */
    private static StringBuilder head(
            String method, HttpTarget target, List<Header> templateHeaders, List<Header> added) {
        StringBuilder head = new StringBuilder(256 + 128 * added.size())
                .append(method)
                .append(' ')
                .append(target.requestTarget())
                .append(" HTTP/1.1\r\n");
        Set<String> replaced = new HashSet<>();
        for (Header header : added) {
            replaced.add(header.getName().toLowerCase(Locale.ROOT));
        }
        boolean hostSet = false;
        boolean userAgentSet = false;
        for (int pass = 0; pass < 2; pass++) {
            for (Header header : pass == 0 ? templateHeaders : added) {
                String lower = header.getName().toLowerCase(Locale.ROOT);
                if (pass == 0 && replaced.contains(lower)) {
                    continue;
                }
                checkToken("header name", header.getName());
                checkValue(header.getName(), header.getValue());
                if (FRAMING_HEADERS.contains(lower)) {
                    continue;
                }
                hostSet |= lower.equals("host");
                userAgentSet |= lower.equals("user-agent");
                head.append(header.getName())
                        .append(": ")
                        .append(header.getValue())
                        .append("\r\n");
            }
        }
        if (!hostSet) {
            head.append("Host: ").append(target.hostHeader()).append("\r\n");
        }
        if (!userAgentSet) {
            head.append("User-Agent: ").append(USER_AGENT).append("\r\n");
        }
        return head;
    }

    public HttpTarget target() {
        return target;
    }

    /** True for HEAD requests, whose responses have no body whatever their headers say. */
    public boolean headRequests() {
        return head;
    }

    /** The request for the worker's request number {@code sequence} (bodies in rotation), ready to write. */
    public ByteBuf request(long sequence) {
        return requests[(int) (sequence % requests.length)].duplicate();
    }

    /** Frees the encoded bytes. Only once nothing can write them any more. */
    @Override
    public void close() {
        for (ByteBuf buffer : owned) {
            if (buffer.refCnt() > 0) {
                buffer.release();
            }
        }
    }

    private static void checkToken(String what, String token) {
        if (token.isEmpty()) {
            throw new IllegalArgumentException("request " + what + " is empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                throw new IllegalArgumentException(
                        "request " + what + " '" + token + "' contains '" + c + "', which HTTP does not allow there");
            }
        }
    }

    private static void checkValue(String name, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                throw new IllegalArgumentException("request header '" + name + "' has a value with a line break, NUL "
                        + "or non-Latin-1 character");
            }
        }
    }
}
