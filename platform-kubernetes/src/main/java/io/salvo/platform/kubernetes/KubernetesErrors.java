package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.platform.PlatformException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns a failed API call into one clear message: forbidden (with the verb and resource), not found, quota. */
public final class KubernetesErrors {

    /** Where the Role the drivers need lives, named in every "forbidden" message. */
    static final String ROLE = "deploy/kubernetes/platform-driver/role.yaml";

    private static final Pattern FORBIDDEN = Pattern.compile(
            "cannot (\\w+) resource \"([^\"]+)\" in API group \"([^\"]*)\"(?: in the namespace \"([^\"]+)\")?");
    private static final Pattern QUOTA = Pattern.compile("exceeded quota: ([^,]+), (.*)");

    private KubernetesErrors() {}

    /**
     * The failure as a PlatformException with one clear message.
     *
     * @param doing what the driver was doing, e.g. "create the Deployment salvo-model-ab12"
     */
    public static PlatformException map(String platform, String doing, KubernetesClientException e) {
        return new PlatformException(describe(platform, doing, e), e);
    }

    static String describe(String platform, String doing, KubernetesClientException e) {
        String prefix = platform + ": cannot " + doing + ": ";
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
                return prefix + "the Kubernetes API cannot be reached (" + cause.getMessage() + ")";
            }
        }
        String message = statusMessage(e);
        Matcher quota = QUOTA.matcher(message);
        if (quota.find()) {
            return prefix + "quota exceeded: ResourceQuota " + quota.group(1).trim() + " ("
                    + quota.group(2).trim() + ")";
        }
        return switch (e.getCode()) {
            case 401 -> prefix + "unauthorized (HTTP 401): the kubeconfig's credentials were refused";
            case 403 -> forbidden(prefix, message);
            case 404 ->
                prefix + "not found (HTTP 404): " + message
                        + " (does the namespace exist? is the API, e.g. Knative Serving, installed?)";
            case 409 -> prefix + "already exists (HTTP 409): " + message;
            case 422 -> prefix + "invalid (HTTP 422): " + message;
            default -> prefix + (e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "") + message;
        };
    }

    private static String forbidden(String prefix, String message) {
        Matcher m = FORBIDDEN.matcher(message);
        if (m.find()) {
            String resource = m.group(3).isEmpty() ? m.group(2) : m.group(2) + "." + m.group(3);
            return prefix + "forbidden: missing RBAC permission '" + m.group(1) + "' on '" + resource + "'"
                    + (m.group(4) == null ? "" : " in namespace " + m.group(4))
                    + "; the Role the driver needs is in " + ROLE + " (" + message + ")";
        }
        return prefix + "forbidden (HTTP 403): " + message + "; the Role the driver needs is in " + ROLE;
    }

    private static String statusMessage(KubernetesClientException e) {
        Status status = e.getStatus();
        if (status != null
                && status.getMessage() != null
                && !status.getMessage().isBlank()) {
            return status.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * A message for a pod's container stuck waiting for a reason a run cannot recover from, or null: image pull
     * errors, a crash loop, a bad configuration.
     */
    static String fatalWaitingReason(String pod, String reason, String message) {
        if (reason == null) {
            return null;
        }
        return switch (reason) {
            case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull" ->
                "pod " + pod + " cannot pull its image (" + reason + "): " + (message == null ? "" : message);
            case "CrashLoopBackOff" ->
                "the model server in pod " + pod + " keeps crashing (CrashLoopBackOff): "
                        + (message == null ? "" : message) + "; see kubectl logs " + pod;
            case "CreateContainerConfigError", "CreateContainerError" ->
                "pod " + pod + " cannot start its container (" + reason + "): " + (message == null ? "" : message);
            default -> null;
        };
    }
}
