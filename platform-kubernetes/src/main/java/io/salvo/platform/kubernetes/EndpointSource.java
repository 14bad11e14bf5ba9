package io.salvo.platform.kubernetes;

import java.net.URI;

/**
 * Where load reaches the model: a URL the user gives (an ingress, a load balancer, a test's router) or a port-forward
 * the driver opens itself. Pluggable because a port-forward needs a real API server (fabric8's mock does not forward).
 */
public interface EndpointSource extends AutoCloseable {

    /** The URL load must target; known from deploy on. */
    URI uri();

    @Override
    void close();

    /** A URL the user gave; nothing to open or close. */
    static EndpointSource fixed(URI uri) {
        return new EndpointSource() {
            @Override
            public URI uri() {
                return uri;
            }

            @Override
            public void close() {}
        };
    }
}
