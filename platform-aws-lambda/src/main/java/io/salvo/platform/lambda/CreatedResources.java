package io.salvo.platform.lambda;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.lambda.LambdaClient;

/**
 * What one deployment created, so that teardown removes exactly that (a log group the driver found in place is never
 * deleted), in dependency order, and never throws: what cannot be removed is returned for a message telling the user
 * what to delete by hand. Something already gone counts as removed.
 */
final class CreatedResources {

    /** The kinds of resource the driver creates. */
    enum Kind {
        LOG_GROUP,
        FUNCTION,
        URL,
        URL_PERMISSIONS
    }

    private final Set<Kind> created = EnumSet.noneOf(Kind.class);

    synchronized void add(Kind kind) {
        created.add(kind);
    }

    /** Everything recorded so far; the record is empty afterwards (teardown runs once). */
    synchronized Set<Kind> takeAll() {
        Set<Kind> all = created.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(created);
        created.clear();
        return all;
    }

    /**
     * Removes {@code kinds} of the function {@code name}: the URL's permissions, the URL, the function (with its
     * versions, alias and provisioned concurrency), then the log group.
     *
     * @return one entry per resource that could not be removed, with the reason
     */
    static List<String> remove(
            Set<Kind> kinds,
            LambdaClient lambda,
            CloudWatchLogsClient logs,
            String name,
            String qualifier,
            String logGroup) {
        List<String> failures = new ArrayList<>();
        if (kinds.contains(Kind.URL_PERMISSIONS)) {
            for (String statement :
                    List.of(LambdaPlatformDriver.PUBLIC_URL_STATEMENT, LambdaPlatformDriver.PUBLIC_INVOKE_STATEMENT)) {
                remove(
                        failures,
                        "permission " + statement + " of " + name,
                        () -> lambda.removePermission(
                                r -> r.functionName(name).qualifier(qualifier).statementId(statement)));
            }
        }
        if (kinds.contains(Kind.URL)) {
            remove(
                    failures,
                    "function URL of " + name,
                    () -> lambda.deleteFunctionUrlConfig(
                            r -> r.functionName(name).qualifier(qualifier)));
        }
        if (kinds.contains(Kind.FUNCTION)) {
            remove(failures, "function " + name, () -> lambda.deleteFunction(r -> r.functionName(name)));
        }
        if (kinds.contains(Kind.LOG_GROUP)) {
            remove(failures, "log group " + logGroup, () -> logs.deleteLogGroup(r -> r.logGroupName(logGroup)));
        }
        return failures;
    }

    private static void remove(List<String> failures, String what, Runnable call) {
        try {
            call.run();
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404
                    || (e.awsErrorDetails() != null
                            && "ResourceNotFoundException"
                                    .equals(e.awsErrorDetails().errorCode()))) {
                return;
            }
            failures.add(what + " ("
                    + LambdaErrors.translate(e, "deleting " + what, "the matching delete permission")
                            .getMessage()
                    + ")");
        } catch (SdkException e) {
            failures.add(what + " (" + e.getMessage() + ")");
        }
    }
}
