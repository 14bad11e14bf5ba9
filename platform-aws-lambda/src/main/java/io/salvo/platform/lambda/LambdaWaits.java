package io.salvo.platform.lambda;

import static io.salvo.platform.lambda.LambdaErrors.call;

import io.salvo.platform.PlatformException;
import java.time.Duration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationRequest;
import software.amazon.awssdk.services.lambda.model.GetFunctionRequest;
import software.amazon.awssdk.services.lambda.model.GetProvisionedConcurrencyConfigResponse;
import software.amazon.awssdk.services.lambda.model.ProvisionedConcurrencyStatusEnum;
import software.amazon.awssdk.services.lambda.waiters.LambdaWaiter;

/**
 * The driver's waits: the SDK's waiters for the function (Active, last update Successful) and its published versions,
 * polled every {@code pollInterval} up to a timeout, and a poll of the same kind for provisioned concurrency, which
 * has no SDK waiter. A wait that runs out throws {@link Timeout} (the SPI's {@code TimeoutException} where it has
 * one); a function that fails throws a {@link PlatformException} with Lambda's reason.
 */
final class LambdaWaits implements AutoCloseable {

    /** A wait ran out of time (as opposed to a function that failed). */
    static final class Timeout extends PlatformException {
        private static final long serialVersionUID = 1L;

        Timeout(String message) {
            super(message);
        }
    }

    private final LambdaClient lambda;
    private final LambdaWaiter waiter;
    private final Duration pollInterval;

    LambdaWaits(LambdaClient lambda, Duration pollInterval) {
        this.lambda = lambda;
        this.waiter = LambdaWaiter.builder().client(lambda).build();
        this.pollInterval = pollInterval;
    }

    /** Until the function is Active and its last update Successful. */
    void function(String name, String what, Duration timeout) throws PlatformException {
        GetFunctionRequest request =
                GetFunctionRequest.builder().functionName(name).build();
        run(name, what, timeout, () -> {
            waiter.waitUntilFunctionActiveV2(request, config(timeout));
            waiter.waitUntilFunctionUpdatedV2(request, config(timeout));
        });
    }

    /** Until a published version is Active. */
    void publishedVersion(String name, String version, String what, Duration timeout) throws PlatformException {
        GetFunctionConfigurationRequest request = GetFunctionConfigurationRequest.builder()
                .functionName(name)
                .qualifier(version)
                .build();
        run(name, what, timeout, () -> waiter.waitUntilPublishedVersionActive(request, config(timeout)));
    }

    /** Until the provisioned concurrency of {@code alias} is READY. */
    void provisioned(String name, String alias, Duration timeout) throws PlatformException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            GetProvisionedConcurrencyConfigResponse status = call(
                    "reading the provisioned concurrency of " + name,
                    "lambda:GetProvisionedConcurrencyConfig",
                    () -> lambda.getProvisionedConcurrencyConfig(
                            r -> r.functionName(name).qualifier(alias)));
            if (status.status() == ProvisionedConcurrencyStatusEnum.READY) {
                return;
            }
            if (status.status() == ProvisionedConcurrencyStatusEnum.FAILED) {
                throw new PlatformException("aws-lambda: provisioned concurrency of " + name + " failed: "
                        + status.statusReason() + ". Check the account's unreserved concurrency (Service Quotas)");
            }
            if (System.nanoTime() > deadline) {
                throw new Timeout("aws-lambda: provisioned concurrency of " + name + " not ready after "
                        + timeout.toMillis() + " ms (" + status.availableProvisionedConcurrentExecutions() + " of "
                        + status.requestedProvisionedConcurrentExecutions() + " environments)");
            }
            try {
                Thread.sleep(pollInterval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PlatformException("aws-lambda: interrupted while waiting for provisioned concurrency");
            }
        }
    }

    private WaiterOverrideConfiguration config(Duration timeout) {
        return WaiterOverrideConfiguration.builder()
                .waitTimeout(timeout)
                .maxAttempts(Integer.MAX_VALUE)
                .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(pollInterval))
                .build();
    }

    private void run(String name, String what, Duration timeout, Runnable wait) throws PlatformException {
        try {
            wait.run();
        } catch (SdkClientException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("exceeded the max wait time") || message.contains("max retry attempts")) {
                throw new Timeout("aws-lambda: timed out after " + timeout.toMillis() + " ms " + what + state(name));
            }
            if (message.contains("failure state")) {
                throw new PlatformException("aws-lambda: failed " + what + state(name));
            }
            throw LambdaErrors.translate(e, what, "lambda:GetFunction");
        } catch (SdkException e) {
            throw LambdaErrors.translate(e, what, "lambda:GetFunction");
        }
    }

    /** "; the function is Pending (reason), its last update InProgress"; empty when it cannot be read. */
    private String state(String name) {
        try {
            FunctionConfiguration config =
                    lambda.getFunction(r -> r.functionName(name)).configuration();
            return "; the function is " + config.stateAsString()
                    + (config.stateReason() == null ? "" : " (" + config.stateReason() + ")") + ", its last update "
                    + config.lastUpdateStatusAsString()
                    + (config.lastUpdateStatusReason() == null ? "" : " (" + config.lastUpdateStatusReason() + ")");
        } catch (SdkException e) {
            return "";
        }
    }

    @Override
    public void close() {
        waiter.close();
    }
}
