package io.salvo.platform;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a run's requests are, for a driver that must authenticate them ({@link PlatformDriver#requestHeaders}): the
 * method, the URL, the plan's own headers (a signer signs them too) and the bodies in rotation order (index = body
 * index; one empty body for a plan without bodies).
 */
public record RunRequests(String method, URI url, Map<String, String> headers, List<byte[]> bodies) {

    public RunRequests {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(url, "url");
        headers = Map.copyOf(headers);
        bodies = bodies.isEmpty() ? List.of(new byte[0]) : List.copyOf(bodies);
    }

    /** Header names and body count only: header values and bodies may be confidential. */
    @Override
    public String toString() {
        return "RunRequests[" + method + " " + url + ", headers=" + headers.keySet() + ", bodies=" + bodies.size()
                + "]";
    }
}
