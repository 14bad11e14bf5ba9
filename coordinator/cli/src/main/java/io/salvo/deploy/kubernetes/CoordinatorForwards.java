package io.salvo.deploy.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.salvo.core.security.ClusterToken;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The coordinators of a cluster deployed from deploy/kubernetes, reached from outside the cluster through
 * port-forwards the CLI opens itself: one loopback port per ready coordinator pod, so the CLI's usual fail-over over a
 * list of addresses carries on when one coordinator dies. Closing it closes the forwards.
 */
public final class CoordinatorForwards implements AutoCloseable {

    /** The coordinators' gRPC port in the manifests. */
    public static final int GRPC_PORT = 7100;
    /** The Secret holding the cluster token (key {@code token}), as docs/kubernetes.md creates it. */
    public static final String TOKEN_SECRET = "salvo-cluster-token";

    private static final String TOKEN_KEY = "token";

    /** Opens a forward from a loopback port to a pod's port. */
    @FunctionalInterface
    public interface PortForwarder {
        Forward open(KubernetesClient client, String namespace, String pod, int port) throws IOException;
    }

    /** One open forward. */
    public interface Forward extends AutoCloseable {
        InetSocketAddress local();

        @Override
        void close();
    }

    /** fabric8's port-forward over the API server (what {@code kubectl port-forward} does). */
    public static final PortForwarder FABRIC8 = (client, namespace, pod, port) -> {
        LocalPortForward forward = client.pods()
                .inNamespace(namespace)
                .withName(pod)
                .portForward(port, InetAddress.getLoopbackAddress(), 0);
        InetSocketAddress local = new InetSocketAddress(forward.getLocalAddress(), forward.getLocalPort());
        return new Forward() {
            @Override
            public InetSocketAddress local() {
                return local;
            }

            @Override
            public void close() {
                try {
                    forward.close();
                } catch (IOException e) {
                    // the forward's listening socket is gone either way
                }
            }
        };
    };

    private final List<Forward> forwards;
    private final List<String> pods;

    private CoordinatorForwards(List<Forward> forwards, List<String> pods) {
        this.forwards = List.copyOf(forwards);
        this.pods = List.copyOf(pods);
    }

    /**
     * Forwards a loopback port to the gRPC port of every ready coordinator pod of {@code namespace}.
     *
     * @throws DeployException when no coordinator pod is ready (naming the pods and why) or a forward fails
     */
    public static CoordinatorForwards open(KubernetesClient client, String namespace, PortForwarder forwarder) {
        List<Pod> coordinators = new ArrayList<>(client.pods()
                .inNamespace(namespace)
                .withLabels(Map.of(WorkerJobs.NAME, WorkerJobs.SALVO, WorkerJobs.COMPONENT, "coordinator"))
                .list()
                .getItems());
        coordinators.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        List<String> ready = coordinators.stream()
                .filter(CoordinatorForwards::ready)
                .map(p -> p.getMetadata().getName())
                .toList();
        if (ready.isEmpty()) {
            throw new DeployException(
                    coordinators.isEmpty()
                            ? "no coordinator pod in namespace '" + namespace
                                    + "' (apply an overlay of deploy/kubernetes: docs/kubernetes.md)"
                            : "no coordinator pod is ready in namespace '" + namespace + "'"
                                    + WorkerPodsWait.describe(coordinators));
        }
        List<Forward> forwards = new ArrayList<>();
        try {
            for (String pod : ready) {
                forwards.add(forwarder.open(client, namespace, pod, GRPC_PORT));
            }
        } catch (IOException | RuntimeException e) {
            forwards.forEach(Forward::close);
            throw new DeployException("cannot forward a local port to coordinator pod '" + ready.get(forwards.size())
                    + "' in namespace '" + namespace + "': " + e.getMessage());
        }
        return new CoordinatorForwards(forwards, ready);
    }

    /** The loopback addresses to use as coordinators, one per pod, in pod-name order. */
    public List<InetSocketAddress> addresses() {
        return forwards.stream().map(Forward::local).toList();
    }

    /** The pods forwarded to, in the order of {@link #addresses()}. */
    public List<String> pods() {
        return pods;
    }

    /**
     * The cluster token from its Secret.
     *
     * @throws DeployException when the Secret or its key is missing
     */
    public static ClusterToken token(KubernetesClient client, String namespace) {
        Secret secret =
                client.secrets().inNamespace(namespace).withName(TOKEN_SECRET).get();
        String value = null;
        if (secret != null && secret.getData() != null && secret.getData().get(TOKEN_KEY) != null) {
            value = new String(Base64.getDecoder().decode(secret.getData().get(TOKEN_KEY)), StandardCharsets.UTF_8);
        } else if (secret != null
                && secret.getStringData() != null
                && secret.getStringData().get(TOKEN_KEY) != null) {
            value = secret.getStringData().get(TOKEN_KEY);
        }
        if (value == null || value.isBlank()) {
            throw new DeployException("no Secret '" + TOKEN_SECRET + "' with a key '" + TOKEN_KEY + "' in namespace '"
                    + namespace + "': create it (docs/kubernetes.md, step 2) or give --token-file");
        }
        return ClusterToken.of(value.strip());
    }

    /**
     * Why the namespace's worker pods are not all working: each pod that is not running with its reason
     * (Pending/Unschedulable, ImagePullBackOff, OOMKilled, ...); empty when every worker pod runs.
     */
    public static String workerDiagnosis(KubernetesClient client, String namespace) {
        List<Pod> workers = new ArrayList<>(client.pods()
                .inNamespace(namespace)
                .withLabels(Map.of(WorkerJobs.NAME, WorkerJobs.SALVO, WorkerJobs.COMPONENT, "worker"))
                .list()
                .getItems());
        if (workers.isEmpty()) {
            return "no worker pods in namespace '" + namespace + "' (salvo deploy workers creates them)";
        }
        workers.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        long notRunning =
                workers.stream().filter(p -> !WorkerPodsWait.running(p)).count();
        if (notRunning == 0) {
            return "";
        }
        return notRunning + " of " + workers.size() + " worker pods in namespace '" + namespace + "' not running"
                + WorkerPodsWait.describe(workers);
    }

    private static boolean ready(Pod pod) {
        if (pod.getStatus() == null
                || !"Running".equals(pod.getStatus().getPhase())
                || pod.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        List<PodCondition> conditions = pod.getStatus().getConditions();
        return conditions != null
                && conditions.stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Override
    public void close() {
        forwards.forEach(Forward::close);
    }
}
