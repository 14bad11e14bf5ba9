package io.salvo.platform;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Headers a platform wants on a run's requests ({@link PlatformDriver#requestHeaders}): {@code shared} on every
 * request (an ID token), {@code perBody} on the request of one body of the rotation (a SigV4 signature covers the
 * body's hash; index = body index, a missing or empty map adds nothing), and when to ask again.
 *
 * <p>Assumptions and guarantees: the headers stay valid until at least {@code renewAt} plus the margin the driver
 * keeps for delivery to the workers and for requests in flight (a minute or more for the cloud drivers); the caller
 * asks the driver again at {@code renewAt} and sends the answer to the workers, who swap it in between two requests.
 * {@code renewAt} null: the headers never need renewing. Values are credentials: {@link #toString()} shows names only.
 *
 * @param shared   headers for every request
 * @param perBody  headers for the request of body i
 * @param renewAt  when to ask the driver for new headers; null for never
 */
public record RequestHeaders(Map<String, String> shared, List<Map<String, String>> perBody, Instant renewAt) {

    /** No headers: an open endpoint. */
    public static final RequestHeaders NONE = new RequestHeaders(Map.of(), List.of(), null);

    public RequestHeaders {
        shared = Map.copyOf(shared);
        perBody = perBody.stream().map(Map::copyOf).toList();
    }

    /** The same headers on every request for the whole run (a Host header for an ingress, say). */
    public static RequestHeaders fixed(Map<String, String> shared) {
        return shared.isEmpty() ? NONE : new RequestHeaders(shared, List.of(), null);
    }

    public boolean isEmpty() {
        return shared.isEmpty() && perBody.stream().allMatch(Map::isEmpty);
    }

    @Override
    public String toString() {
        return "RequestHeaders[shared=" + shared.keySet() + ", perBody=" + perBody.size() + " set(s)"
                + (perBody.isEmpty() ? "" : " of " + perBody.get(0).keySet()) + ", renewAt=" + renewAt + "]";
    }
}
