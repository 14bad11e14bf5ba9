package io.salvo.coordinator.http;

import io.salvo.core.security.ClusterToken;

/**
 * How the dashboard listens and whom it admits.
 *
 * @param bindHost address to listen on; on a loopback address reading needs no token (only local users reach it)
 * @param port TCP port, 0 for any free one
 * @param advertisedHost the host other coordinators' pages use to reach this one after a fail-over; null means the
 *     bind address, or this machine's cluster address when bound to a wildcard address
 * @param clusterToken admits everything, stopping a run included
 * @param viewerToken admits reading only; null when there is none
 */
public record DashboardSettings(
        String bindHost, int port, String advertisedHost, ClusterToken clusterToken, ClusterToken viewerToken) {

    /** The dashboard's default port. */
    public static final int DEFAULT_PORT = 7180;

    public DashboardSettings {
        if (clusterToken == null) {
            throw new IllegalArgumentException("the dashboard needs the cluster token");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port out of range: " + port);
        }
    }

    /** Loopback, the given port, no viewer token. */
    public static DashboardSettings loopback(int port, ClusterToken clusterToken) {
        return new DashboardSettings("127.0.0.1", port, null, clusterToken, null);
    }
}
