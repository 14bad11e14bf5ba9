package io.salvo.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.core.security.ClusterToken;
import io.salvo.deploy.kubernetes.CoordinatorForwards;
import io.salvo.deploy.kubernetes.DeployException;
import io.salvo.deploy.kubernetes.KubernetesAccess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Reaching the coordinators of a cluster deployed from deploy/kubernetes: port-forwards the CLI opens itself (one per
 * ready coordinator pod) and the cluster token from its Secret, unless a token is given.
 */
final class KubernetesOptions {

    /** How forwards are opened; tests replace it (fabric8's mock API server cannot relay a port-forward). */
    static CoordinatorForwards.PortForwarder forwarder = CoordinatorForwards.FABRIC8;

    @Option(
            names = "--kubernetes",
            description =
                    "Reach the coordinators in a Kubernetes cluster through port-forwards opened by salvo itself "
                            + "(kubeconfig credentials); the token comes from the cluster's Secret unless --token-file is given.")
    boolean enabled;

    @Option(
            names = "--namespace",
            paramLabel = "NS",
            defaultValue = "salvo",
            description = "With --kubernetes: the coordinators' namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(
            names = "--context",
            paramLabel = "CTX",
            description = "With --kubernetes: the kubeconfig context (default: the current one).")
    String context;

    /** Where a client command's coordinators are and the token to send them; closing it closes any forwards. */
    record Coordinators(List<InetSocketAddress> addresses, ClusterToken token, Connection cluster)
            implements AutoCloseable {
        @Override
        public void close() {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** A command-line problem found while resolving, with the exit code it deserves; the message is printed. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        Refused(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /**
     * The coordinators of {@code --coordinator} or of {@code --kubernetes}, exactly one of them.
     *
     * @throws Refused with the message for the user and the exit code
     */
    Coordinators resolve(String coordinator, SecurityOptions security) throws Refused {
        if (enabled == (coordinator != null)) {
            throw new Refused(
                    RunExecution.USER_ERROR,
                    "give the coordinators with --coordinator HOST:PORT[,...] or --kubernetes, one of them");
        }
        try {
            if (enabled) {
                Connection cluster = connect(security);
                return new Coordinators(cluster.addresses(), cluster.token(), cluster);
            }
            return new Coordinators(HostPort.parseList(coordinator), security.clientToken(), null);
        } catch (IllegalArgumentException e) {
            throw new Refused(RunExecution.USER_ERROR, "--coordinator: " + e.getMessage());
        } catch (IOException e) {
            throw new Refused(RunExecution.USER_ERROR, e.getMessage());
        } catch (DeployException e) {
            throw new Refused(RunExecution.FAILED, e.getMessage());
        }
    }

    /** An open way to the cluster's coordinators; closing it closes the forwards and the API client. */
    static final class Connection implements AutoCloseable {
        private final KubernetesClient client;
        private final CoordinatorForwards forwards;
        private final ClusterToken token;
        private final String namespace;

        private Connection(
                KubernetesClient client, CoordinatorForwards forwards, ClusterToken token, String namespace) {
            this.client = client;
            this.forwards = forwards;
            this.token = token;
            this.namespace = namespace;
        }

        List<InetSocketAddress> addresses() {
            return forwards.addresses();
        }

        ClusterToken token() {
            return token;
        }

        /** Why worker pods are not running, for a run that found too few workers; empty when nothing is wrong. */
        String workerDiagnosis() {
            try {
                return CoordinatorForwards.workerDiagnosis(client, namespace);
            } catch (KubernetesClientException e) {
                return "cannot list the worker pods: " + KubernetesAccess.describe(e, client);
            }
        }

        @Override
        public void close() {
            forwards.close();
            client.close();
        }
    }

    /**
     * Opens the forwards and finds the token: the one {@code security} names when it names one explicitly, else the
     * cluster's Secret.
     *
     * @throws DeployException naming what is missing (context, pods, Secret) or unreachable
     * @throws IOException when the given token file cannot be read
     */
    Connection connect(SecurityOptions security) throws IOException {
        KubernetesClient client;
        try {
            client = KubernetesAccess.connect(context);
        } catch (KubernetesClientException e) {
            throw new DeployException("cannot read the kubeconfig: " + e.getMessage());
        }
        CoordinatorForwards forwards = null;
        try {
            ClusterToken token =
                    security.tokenFile != null ? security.clientToken() : CoordinatorForwards.token(client, namespace);
            forwards = CoordinatorForwards.open(client, namespace, forwarder);
            return new Connection(client, forwards, token, namespace);
        } catch (KubernetesClientException e) {
            client.close();
            throw new DeployException(KubernetesAccess.describe(e, client));
        } catch (IOException | RuntimeException e) {
            if (forwards != null) {
                forwards.close();
            }
            client.close();
            throw e;
        }
    }
}
