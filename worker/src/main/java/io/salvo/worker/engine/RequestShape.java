package io.salvo.worker.engine;

import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.RequestTemplate;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;

/**
 * A {@link RequestTemplate} prepared once per run: method, absolute URL, headers and the body
 * buffers in rotation. Immutable; {@link #newRequestOptions(long)} gives each lane its own
 * reusable options object (Vert.x copies what it needs from it for every request).
 */
final class RequestShape {

    private final HttpMethod method;
    private final String absoluteUrl;
    private final MultiMap headers;
    private final Buffer[] bodies;

    RequestShape(RequestTemplate template) {
        URI uri = URI.create(template.getUrl());
        String scheme = uri.getScheme();
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("request URL must be absolute http:// or https://, was " + template.getUrl());
        }
        this.method = HttpMethod.valueOf(template.getMethod().isEmpty() ? "GET" : template.getMethod().toUpperCase(java.util.Locale.ROOT));
        this.absoluteUrl = template.getUrl();
        this.headers = MultiMap.caseInsensitiveMultiMap();
        for (Header header : template.getHeadersList()) {
            headers.add(header.getName(), header.getValue());
        }
        this.bodies = new Buffer[template.getBodiesCount()];
        for (int i = 0; i < bodies.length; i++) {
            bodies[i] = Buffer.buffer(template.getBodies(i).toByteArray());
        }
    }

    RequestOptions newRequestOptions(long connectTimeoutMillis) {
        return new RequestOptions()
                .setMethod(method)
                .setAbsoluteURI(absoluteUrl)
                .setHeaders(headers)
                .setConnectTimeout(connectTimeoutMillis)
                .setFollowRedirects(false);
    }

    /** Body of this worker's request number {@code sequence}, or null when the plan has none. */
    Buffer body(long sequence) {
        return bodies.length == 0 ? null : bodies[(int) (sequence % bodies.length)];
    }
}
