package io.salvo.coordinator.http;

import io.salvo.core.security.ClusterToken;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.function.Consumer;

/**
 * How the dashboard listens and whom it admits.
 *
 * @param bindHost address to listen on; on a loopback address reading needs no token (only local users reach it)
 * @param port TCP port, 0 for any free one
 * @param advertisedHost the host other coordinators' pages use to reach this one after a fail-over; null means the
 *     bind address, or this machine's cluster address when bound to a wildcard address
 * @param clusterToken admits everything, stopping a run included
 * @param viewerToken admits reading only; null when there is none
 * @param routes installers of further routes on the same router and port (for example {@code /metrics}), run after
 *     authentication is in place and before the dashboard's own routes
 */
public record DashboardSettings(
        String bindHost,
        int port,
        String advertisedHost,
        ClusterToken clusterToken,
        ClusterToken viewerToken,
        List<Consumer<Router>> routes) {

    /** The dashboard's default port. */
    public static final int DEFAULT_PORT = 7180;

    public DashboardSettings {
        if (clusterToken == null) {
            throw new IllegalArgumentException("the dashboard needs the cluster token");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port out of range: " + port);
        }
        routes = List.copyOf(routes);
    }

    /** Loopback, the given port, no viewer token, no extra routes. */
    public static DashboardSettings loopback(int port, ClusterToken clusterToken) {
        return new DashboardSettings("127.0.0.1", port, null, clusterToken, null, List.of());
    }

    /** The same settings with one more route installer. */
    public DashboardSettings withRoutes(Consumer<Router> installer) {
        List<Consumer<Router>> all = new java.util.ArrayList<>(routes);
        all.add(installer);
        return new DashboardSettings(bindHost, port, advertisedHost, clusterToken, viewerToken, all);
    }
}
