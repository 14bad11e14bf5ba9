package io.salvo.cli;

import io.salvo.coordinator.http.DashboardServer;
import io.salvo.coordinator.http.DashboardSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The live dashboard of a coordinator this command starts: where it listens and whom it admits. */
final class DashboardOptions {

    @Option(
            names = "--http-bind",
            paramLabel = "ADDR",
            defaultValue = "127.0.0.1",
            description = "Address the live dashboard listens on (default: ${DEFAULT-VALUE}). Off loopback every "
                    + "API request needs the cluster token or the viewer token.")
    String bind;

    @Option(
            names = "--http-advertise",
            paramLabel = "HOST",
            description = "Host name other coordinators' dashboards use to reach this one after a fail-over "
                    + "(default: the --http-bind address, or the cluster address when bound to 0.0.0.0).")
    String advertise;

    @Option(
            names = "--viewer-token-file",
            paramLabel = "FILE",
            description = "File holding a read-only token for the dashboard (it cannot stop runs and is refused by "
                    + "the gRPC side).")
    Path viewerTokenFile;

    /** The viewer token, or null; a named file that cannot be read is the user's error. */
    ClusterToken viewerToken() throws IOException {
        if (viewerTokenFile == null) {
            return null;
        }
        if (!Files.isReadable(viewerTokenFile)) {
            throw new IOException("viewer token file not readable: " + viewerTokenFile);
        }
        return ClusterToken.read(viewerTokenFile);
    }

    DashboardServer start(CoordinatorServer coordinator, int port, ClusterToken clusterToken) throws IOException {
        return DashboardServer.start(
                coordinator, new DashboardSettings(bind, port, advertise, clusterToken, viewerToken()));
    }
}
