package io.salvo.platform.lambda;

import io.salvo.platform.PlatformException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns what the AWS SDK throws into one {@link PlatformException} whose message says what failed and what to check:
 * missing credentials or region, a permission (named as the IAM action), throttling or a quota, something not found,
 * an invalid configuration. The SDK's exception is not attached: its stack trace helps nobody running a benchmark,
 * and the message already carries the service's own words (which never contain a secret).
 */
final class LambdaErrors {

    private static final Set<String> DENIED = Set.of(
            "AccessDeniedException",
            "AccessDenied",
            "UnauthorizedOperation",
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
            "InvalidClientTokenId");
    private static final Set<String> EXPIRED = Set.of("ExpiredTokenException", "ExpiredToken", "RequestExpired");
    private static final Set<String> THROTTLED = Set.of(
            "TooManyRequestsException",
            "ThrottlingException",
            "Throttling",
            "LimitExceededException",
            "ServiceQuotaExceededException",
            "CodeStorageExceededException",
            "RequestLimitExceeded");
    private static final Set<String> NOT_FOUND = Set.of("ResourceNotFoundException", "NotFoundException");
    private static final Set<String> INVALID = Set.of(
            "InvalidParameterValueException",
            "ValidationException",
            "InvalidRequestContentException",
            "ResourceConflictException",
            "InvalidParameterException",
            "ResourceAlreadyExistsException",
            "RequestTooLargeException");

    private LambdaErrors() {}

    /** Runs one SDK call, translating its failure into one clear PlatformException. */
    static <T> T call(String what, String permission, Supplier<T> call) throws PlatformException {
        try {
            return call.get();
        } catch (SdkException e) {
            throw translate(e, what, permission);
        } catch (UncheckedIOException e) {
            throw new PlatformException("aws-lambda: I/O failure while " + what + ": " + e.getMessage());
        }
    }

    /** No credentials in the SDK's default chain. */
    static PlatformException noCredentials() {
        return new PlatformException("aws-lambda: no AWS credentials. The SDK's default chain looked for"
                + " AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the profile in ~/.aws/credentials and ~/.aws/config"
                + " (AWS_PROFILE), SSO, web identity, and container or instance roles; configure one of them (e.g."
                + " `aws configure` or `aws sso login`)");
    }

    /** No region in the settings nor the SDK's default chain. */
    static PlatformException noRegion() {
        return new PlatformException("aws-lambda: no AWS region. Set the driver's 'region' setting, AWS_REGION, or a"
                + " region in the AWS profile");
    }

    /**
     * @param what       what the driver was doing, e.g. "creating function salvo-minilm-1a2b3c4d"
     * @param permission the IAM action that call needs, e.g. {@code lambda:CreateFunction}
     */
    static PlatformException translate(SdkException e, String what, String permission) {
        if (e instanceof AwsServiceException service) {
            return service(service, what, permission);
        }
        String message = String.valueOf(e.getMessage());
        String lower = message.toLowerCase(Locale.ROOT);
        if (e instanceof SdkClientException && lower.contains("unable to load credentials")) {
            return noCredentials();
        }
        if (lower.contains("waiter") || lower.contains("max wait time") || lower.contains("max retry attempts")) {
            return new PlatformException("aws-lambda: gave up " + what + ": " + firstLine(message));
        }
        return new PlatformException("aws-lambda: could not reach AWS while " + what + ": " + firstLine(message)
                + " (check the network, the region and any 'endpoint' setting)");
    }

    private static PlatformException service(AwsServiceException e, String what, String permission) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String serviceMessage =
                e.awsErrorDetails() == null || e.awsErrorDetails().errorMessage() == null
                        ? firstLine(String.valueOf(e.getMessage()))
                        : firstLine(e.awsErrorDetails().errorMessage());
        int status = e.statusCode();
        String said = " (AWS said: " + serviceMessage + ")";
        if ((code != null && DENIED.contains(code)) || status == 403) {
            return new PlatformException("aws-lambda: permission denied while " + what + said
                    + ". The AWS identity running Salvo needs the IAM permission " + permission
                    + " (docs/platforms/aws-lambda.md lists every permission the driver uses)");
        }
        if (code != null && EXPIRED.contains(code)) {
            return new PlatformException("aws-lambda: the AWS credentials have expired while " + what + said
                    + ". Refresh them (e.g. `aws sso login`) and run again");
        }
        if ((code != null && THROTTLED.contains(code)) || status == 429) {
            return new PlatformException("aws-lambda: throttled or over a quota while " + what + said
                    + ". Wait and run again, lower the concurrency asked for, or raise the quota in Service Quotas"
                    + " (Lambda: concurrent executions, API request rates)");
        }
        if ((code != null && NOT_FOUND.contains(code)) || status == 404) {
            return new PlatformException("aws-lambda: not found while " + what + said
                    + ". Check function-name, region, log-group and image-uri");
        }
        if ("ResourceConflictException".equals(code)
                && serviceMessage.toLowerCase(Locale.ROOT).contains("exist")) {
            return new PlatformException("aws-lambda: already exists while " + what + said
                    + ". Choose another function-name or delete the existing one: Salvo deletes only what it created");
        }
        if ((code != null && INVALID.contains(code)) || status == 400 || status == 409) {
            return new PlatformException("aws-lambda: invalid configuration while " + what + said
                    + ". Check the driver's settings (role ARN, image URI, handler, runtime, architecture)");
        }
        return new PlatformException("aws-lambda: AWS failed while " + what + ": " + (code == null ? "" : code + ", ")
                + "HTTP " + status + said);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        String line = newline < 0 ? text : text.substring(0, newline);
        return line.length() > 400 ? line.substring(0, 400) + "..." : line;
    }
}
