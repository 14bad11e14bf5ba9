package io.salvo.platform.cloudrun;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.salvo.platform.PlatformException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Turns whatever the Google clients throw into one {@link PlatformException} whose message says what failed and what
 * to check: the IAM role, the quota, the resource. The message carries the first line of the API's own explanation
 * (never a stack trace; the clients put no credentials in their messages) and no cause is printed with it.
 */
public final class CloudRunErrors {

    static final String ADMIN_ROLES = "roles/run.admin on the project (roles/run.developer is enough without"
            + " invoker=public, which sets the service's IAM policy) and roles/iam.serviceAccountUser on the"
            + " service's runtime service account";
    private static final int MAX_DETAIL = 300;

    private CloudRunErrors() {}

    /** The kind of failure, for tests and callers that react differently (e.g. retry on QUOTA). */
    public enum Kind {
        CREDENTIALS,
        PERMISSION,
        QUOTA,
        NOT_FOUND,
        INVALID,
        CONFLICT,
        UNAVAILABLE,
        OTHER
    }

    /** A PlatformException that knows its {@link Kind}. */
    public static final class CloudRunException extends PlatformException {
        private static final long serialVersionUID = 1L;
        private final Kind kind;

        CloudRunException(Kind kind, String message) {
            super(message);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    /** Application Default Credentials are missing or unreadable. */
    public static CloudRunException missingCredentials(IOException e) {
        return new CloudRunException(
                Kind.CREDENTIALS,
                "cloud-run: no Google Cloud credentials (Application Default Credentials): run `gcloud auth"
                        + " application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key"
                        + " file, or run where the metadata server provides them (" + firstLine(e.getMessage())
                        + ")");
    }

    /**
     * Translates a failure of {@code action} (e.g. "creating service projects/p/locations/r/services/s").
     *
     * @param settings for the names in the hints (project, region, image, service account)
     */
    public static CloudRunException translate(String action, Throwable failure, CloudRunSettings settings) {
        Throwable t = unwrap(failure);
        if (t instanceof IOException io && looksLikeCredentials(io)) {
            return missingCredentials(io);
        }
        String code;
        String detail;
        if (t instanceof ApiException api) {
            code = api.getStatusCode().getCode().name();
            // the gRPC status description is the API's own words; ApiException's message prefixes a class name
            detail = api.getCause() instanceof StatusRuntimeException grpc
                            && grpc.getStatus().getDescription() != null
                    ? firstLine(grpc.getStatus().getDescription())
                    : firstLine(api.getMessage());
        } else if (t instanceof StatusRuntimeException grpc) {
            code = grpc.getStatus().getCode().name();
            detail = firstLine(grpc.getStatus().getDescription());
        } else if (t instanceof TimeoutException) {
            return new CloudRunException(
                    Kind.UNAVAILABLE,
                    "cloud-run: " + action + " did not finish within "
                            + settings.operationTimeout().toSeconds()
                            + " s; it may still complete: check the service in the Cloud Run console"
                            + " (operation-timeout-ms sets the wait)");
        } else {
            return new CloudRunException(
                    Kind.OTHER,
                    "cloud-run: " + action + " failed: " + t.getClass().getSimpleName() + ": "
                            + firstLine(t.getMessage()));
        }
        String prefix = "cloud-run: " + action + " failed (" + code + ": " + detail + "). ";
        return switch (code) {
            case "PERMISSION_DENIED" ->
                new CloudRunException(
                        Kind.PERMISSION,
                        prefix + "The caller needs " + ADMIN_ROLES + " ("
                                + (settings.serviceAccount() == null
                                        ? "the project's default compute service account"
                                        : settings.serviceAccount())
                                + "); with monitoring=true also roles/monitoring.viewer. Check who the caller is with"
                                + " `gcloud auth application-default print-access-token` / `gcloud config list` and"
                                + " grant with `gcloud projects add-iam-policy-binding " + settings.project() + "`."
                                + " If the message names allUsers, an organization policy (domain restricted sharing)"
                                + " forbids public services: use invoker=id-token.");
            case "UNAUTHENTICATED" ->
                new CloudRunException(
                        Kind.CREDENTIALS,
                        prefix + "The credentials were refused (expired or revoked): run `gcloud auth"
                                + " application-default login` again, or check GOOGLE_APPLICATION_CREDENTIALS.");
            case "RESOURCE_EXHAUSTED" ->
                new CloudRunException(
                        Kind.QUOTA,
                        prefix + "A quota or rate limit of project " + settings.project() + " in " + settings.region()
                                + " is exhausted: check the Cloud Run Admin API quotas (IAM & Admin > Quotas: total"
                                + " CPU, memory, instances"
                                + (settings.gpus() > 0 ? ", Total Nvidia L4 GPU allocation" : "")
                                + " per region, write requests per minute), lower max-instances or retry later.");
            case "NOT_FOUND" ->
                new CloudRunException(
                        Kind.NOT_FOUND,
                        prefix + "Check that project '" + settings.project()
                                + "' exists with the Cloud Run Admin API (run.googleapis.com) enabled, that '"
                                + settings.region() + "' is a Cloud Run region, and that the image '"
                                + settings.image() + "' exists and is readable by the Cloud Run service agent.");
            case "INVALID_ARGUMENT", "OUT_OF_RANGE" ->
                new CloudRunException(
                        Kind.INVALID,
                        prefix + "Cloud Run refused the configuration: fix the setting the message names"
                                + " (docs/platforms/cloud-run.md lists them and their limits).");
            case "FAILED_PRECONDITION" ->
                new CloudRunException(
                        Kind.INVALID,
                        prefix + "Cloud Run refused in the current state: check that the Cloud Run Admin API is"
                                + " enabled (`gcloud services enable run.googleapis.com --project "
                                + settings.project()
                                + "`) and no organization policy forbids the configuration.");
            case "ALREADY_EXISTS", "ABORTED" ->
                new CloudRunException(
                        Kind.CONFLICT,
                        prefix + "Someone else changed service '" + settings.service()
                                + "' at the same time: retry, or choose another service name.");
            case "UNAVAILABLE", "DEADLINE_EXCEEDED" ->
                new CloudRunException(
                        Kind.UNAVAILABLE,
                        prefix + "The Cloud Run API did not answer: check the network (and the endpoint setting),"
                                + " then retry.");
            default -> new CloudRunException(Kind.OTHER, prefix.trim());
        };
    }

    /** The code of a failure as gRPC names it; UNKNOWN when it has none. */
    public static String code(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof ApiException api) {
            return api.getStatusCode().getCode().name();
        }
        if (t instanceof StatusRuntimeException grpc) {
            return grpc.getStatus().getCode().name();
        }
        return Status.Code.UNKNOWN.name();
    }

    static boolean isNotFound(Throwable failure) {
        Throwable t = unwrap(failure);
        return t instanceof ApiException api && api.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof ExecutionException
                        || t instanceof CancellationException
                        || (t instanceof RuntimeException
                                && !(t instanceof ApiException)
                                && !(t instanceof StatusRuntimeException)))
                && t.getCause() != null
                && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean looksLikeCredentials(IOException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("credentials");
    }

    static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "no details";
        }
        String line = message.strip().lines().findFirst().orElse("");
        return line.length() > MAX_DETAIL ? line.substring(0, MAX_DETAIL) + "…" : line;
    }
}
