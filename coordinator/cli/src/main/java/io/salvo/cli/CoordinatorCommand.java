package io.salvo.cli;

import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.http.DashboardServer;
import io.salvo.coordinator.http.DashboardSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.ClusterToken;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "coordinator",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a coordinator: workers connect to it, clients start runs on it.",
            "Coordinators started with the same --cluster-name, token and --cluster-members form one cluster: "
                    + "the oldest leads, the others take over its run if it dies."
        })
final class CoordinatorCommand implements Callable<Integer> {

    @Option(
            names = "--bind",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; use 0.0.0.0 to accept remote workers).")
    String bind;

    @Option(
            names = "--port",
            defaultValue = "7100",
            description = "gRPC port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(
            names = "--cluster-name",
            defaultValue = ClusterSettings.DEFAULT_NAME,
            description = "Coordinator cluster name (default: ${DEFAULT-VALUE}); members also need the same token.")
    String clusterName;

    @Option(
            names = "--cluster-bind",
            defaultValue = "127.0.0.1",
            description = "Address the cluster member listens on and advertises (default: ${DEFAULT-VALUE}).")
    String clusterBind;

    @Option(
            names = "--cluster-port",
            paramLabel = "PORT",
            description = "Cluster member port (default: " + ClusterSettings.DEFAULT_PORT + " with --cluster-members; "
                    + "a free one for a single member, which nobody needs to reach).")
    Integer clusterPort;

    @Option(
            names = "--cluster-members",
            paramLabel = "HOST:PORT",
            split = ",",
            description = "Every coordinator of the cluster (this one may be listed too); without it the "
                    + "coordinator is a single member that joins nobody.")
    List<String> clusterMembers = new ArrayList<>();

    @Option(
            names = "--cluster-kubernetes-dns",
            paramLabel = "SERVICE_DNS",
            description = "Find the other coordinators through Hazelcast's Kubernetes discovery, DNS mode: the "
                    + "DNS name of a headless Service over the coordinator pods (e.g. salvo-coordinator-hz.salvo.svc."
                    + "cluster.local); needs no Kubernetes API access.")
    String kubernetesDns;

    @Option(
            names = "--cluster-kubernetes-service",
            paramLabel = "NAME",
            description =
                    "Like --cluster-kubernetes-dns, API mode: the endpoints of this Service, read from the "
                            + "Kubernetes API (the pod's ServiceAccount needs get and list on endpoints, endpointslices and pods).")
    String kubernetesService;

    @Option(
            names = "--cluster-kubernetes-namespace",
            paramLabel = "NS",
            description = "Namespace of --cluster-kubernetes-service (default: the pod's own).")
    String kubernetesNamespace;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + DashboardSettings.DEFAULT_PORT,
            description = "Port of the live web dashboard (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int httpPort;

    @Option(names = "--no-dashboard", description = "Serve no web dashboard.")
    boolean noDashboard;

    @Mixin
    DashboardOptions dashboard = new DashboardOptions();

    /** The Kubernetes discovery the options ask for, or null. */
    ClusterSettings.Kubernetes kubernetes() {
        if (kubernetesDns != null && kubernetesService != null) {
            throw new IllegalArgumentException(
                    "give either --cluster-kubernetes-dns or --cluster-kubernetes-service, not both");
        }
        if (kubernetesNamespace != null && kubernetesService == null) {
            throw new IllegalArgumentException("--cluster-kubernetes-namespace goes with --cluster-kubernetes-service");
        }
        if (kubernetesDns != null) {
            return ClusterSettings.Kubernetes.dns(kubernetesDns);
        }
        return kubernetesService != null
                ? ClusterSettings.Kubernetes.api(kubernetesNamespace, kubernetesService)
                : null;
    }

    @Override
    public Integer call() throws InterruptedException {
        SalvoCli.logLevel(Level.INFO);
        ClusterSettings cluster;
        try {
            List<String> members = new ArrayList<>();
            for (String member : clusterMembers) {
                if (!member.isBlank()) {
                    members.add(HostPort.format(HostPort.parse(member)));
                }
            }
            ClusterSettings.Kubernetes kubernetes = kubernetes();
            int memberPort = clusterPort != null
                    ? clusterPort
                    : members.isEmpty() && kubernetes == null ? 0 : ClusterSettings.DEFAULT_PORT;
            cluster = new ClusterSettings(clusterName, clusterBind, memberPort, members, kubernetes);
        } catch (IllegalArgumentException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (httpPort < 0 || httpPort > 65535) {
            System.err.println("salvo: --http-port must be between 0 and 65535, got " + httpPort);
            return RunExecution.USER_ERROR;
        }
        try {
            dashboard.viewerToken();
        } catch (IOException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        CoordinatorServer server;
        ClusterToken token;
        try {
            token = security.serverToken(System.out);
            server = CoordinatorServer.start(new InetSocketAddress(bind, port), token, security.tls(), cluster);
        } catch (IOException | com.hazelcast.core.HazelcastException e) {
            System.err.println("salvo: cannot listen on " + bind + ":" + port + ": " + e.getMessage());
            return RunExecution.FAILED;
        }
        DashboardServer web = null;
        if (!noDashboard) {
            try {
                web = dashboard.start(server, httpPort, token);
            } catch (IOException | RuntimeException e) {
                server.close();
                System.err.println("salvo: cannot serve the dashboard on " + dashboard.bind + ":" + httpPort + ": "
                        + e.getMessage() + " (--http-port picks another port, --no-dashboard serves none)");
                return RunExecution.FAILED;
            }
        }
        DashboardServer webToClose = web;
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (webToClose != null) {
                                webToClose.close();
                            }
                            server.close();
                        },
                        "salvo-coordinator-shutdown"));
        // Scripts and tests read this line to find the port when --port 0 is used.
        System.out.println("Salvo coordinator listening on " + bind + ":" + server.port()
                + (security.tls() != null
                        ? " (TLS" + (security.tlsCa != null ? ", client certificates required)" : ")")
                        : ""));
        System.out.println("Coordinator cluster '" + clusterName + "': member "
                + HostPort.format(server.cluster().address()) + " of "
                + server.cluster().memberIds().size() + ", " + (server.cluster().isLeader() ? "leader" : "follower"));
        if (web != null) {
            // Scripts and tests read this line to find the dashboard when --http-port 0 is used.
            String listening =
                    "http://" + HostPort.format(InetSocketAddress.createUnresolved(dashboard.bind, web.port()));
            System.out.println("Salvo dashboard on " + listening + "/"
                    + (listening.equals(web.url()) ? "" : " (advertised to the cluster as " + web.url() + ")"));
        }
        System.out.flush();
        server.awaitTermination();
        return RunExecution.OK;
    }
}
