package io.salvo.deploy.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;

/** A Kubernetes client for a kubeconfig context, failing with one clear message instead of retrying for minutes. */
public final class KubernetesAccess {

    private KubernetesAccess() {}

    /**
     * A client for {@code context} (null: the kubeconfig's current context).
     *
     * @throws DeployException when the context is not in the kubeconfig
     */
    public static KubernetesClient connect(String context) {
        Config config = Config.autoConfigure(context);
        if (context != null
                && (config.getCurrentContext() == null
                        || !context.equals(config.getCurrentContext().getName()))) {
            throw new DeployException("no context '" + context + "' in the kubeconfig ("
                    + String.join(", ", Config.getKubeconfigFilenames()) + ")");
        }
        // fabric8 retries a refused connection with backoff for a long while by default; one clear failure is
        // what someone at a terminal (or a CI step) needs.
        config.setRequestRetryBackoffLimit(0);
        config.setConnectionTimeout(10_000);
        config.setRequestTimeout(30_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** A message for a failed API call: what failed, without a stack trace. */
    public static String describe(KubernetesClientException e, KubernetesClient client) {
        String where = client.getMasterUrl() != null ? client.getMasterUrl().toString() : "the Kubernetes API";
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException
                    || cause instanceof UnknownHostException
                    || cause instanceof TimeoutException
                    || cause instanceof java.net.SocketTimeoutException) {
                return "cannot reach the Kubernetes API at " + where + ": "
                        + (cause.getMessage() != null
                                ? cause.getMessage()
                                : cause.getClass().getSimpleName());
            }
        }
        if (e.getCode() == 401 || e.getCode() == 403) {
            return "the Kubernetes API at " + where + " refused the request (HTTP " + e.getCode() + "): "
                    + statusMessage(e);
        }
        if (e.getCode() > 0) {
            return "the Kubernetes API at " + where + " answered HTTP " + e.getCode() + ": " + statusMessage(e);
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return "Kubernetes API at " + where + ": " + firstLine(e.getMessage())
                + (root != e ? " (" + firstLine(root.getMessage()) + ")" : "");
    }

    private static String statusMessage(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : firstLine(e.getMessage());
    }

    private static String firstLine(String message) {
        return message == null
                ? "(no message)"
                : message.strip().lines().findFirst().orElse("");
    }
}
