package io.salvo.platform;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A platform that hosts the model under test. One driver instance manages one deployment, in this order:
 * {@link #validate} (no side effects: a plan that cannot run fails before any call) → {@link #deploy} →
 * {@link #endpoint} → {@link #awaitReady} → optionally {@link #forceCold} → {@link #signals} during and
 * after the run → {@link #teardown}. {@link #close} tears down too, so try-with-resources never leaks
 * a deployment.
 *
 * <p>Drivers register a {@link Factory} through {@link java.util.ServiceLoader}; find one with
 * {@link PlatformDrivers#factory(String)}.
 */
public interface PlatformDriver extends AutoCloseable {

    /** Creates drivers of one platform; listed in {@code META-INF/services/io.salvo.platform.PlatformDriver$Factory}. */
    interface Factory {

        /** The platform's name in plans and on the command line, e.g. {@code local}. */
        String name();

        /** One line for {@code --help}: what the platform is and which configuration keys it reads. */
        String description();

        /**
         * Creates a driver from its settings.
         *
         * @param config the driver's settings (keys documented per driver)
         * @throws IllegalArgumentException naming the key when a setting is malformed or unknown
         */
        PlatformDriver create(Map<String, String> config);
    }

    /** How this deployment is labelled in output, e.g. "local lambda-like (emulation of AWS Lambda)". */
    String label();

    /**
     * Checks the deployment against the platform's limits without touching anything.
     *
     * @throws PlatformLimitException listing every violated limit
     */
    void validate(DeploymentSpec spec) throws PlatformLimitException;

    /** Validates, then deploys; returns the endpoint that load must target. */
    URI deploy(DeploymentSpec spec) throws PlatformLimitException, PlatformException;

    /** The endpoint of the current deployment. @throws IllegalStateException before {@link #deploy} */
    URI endpoint();

    /** Blocks until the endpoint accepts requests (and the platform's minimum instances are ready). */
    void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException;

    /** True when {@link #forceCold} is supported. */
    boolean canForceCold();

    /**
     * Makes the next request meet a fresh instance: stops every running instance and returns when they are
     * gone. @throws UnsupportedOperationException when {@link #canForceCold()} is false
     */
    void forceCold() throws InterruptedException, PlatformException;

    /** The platform's view of its instances so far; safe to call from any thread at any time. */
    PlatformSignals signals();

    /**
     * Headers the requests of a run must carry, e.g. {@code Authorization} with an ID token for a private Cloud Run
     * service, or a SigV4 signature per body for a Lambda function URL with {@code AWS_IAM} auth; {@link
     * RequestHeaders#NONE} for an open endpoint (the default). Credentials that expire come with
     * {@link RequestHeaders#renewAt()}: the caller asks again then, for the same {@code requests}, and the workers swap
     * the new headers in during the run, so the load generator's hot path never signs or formats anything.
     *
     * <p>May be called from any thread, while the driver is deployed.
     *
     * @throws PlatformException when no such headers can be had now (the message says why; never a credential)
     */
    default RequestHeaders requestHeaders(RunRequests requests) throws PlatformException {
        return RequestHeaders.NONE;
    }

    /**
     * Tells the driver what responses showed, for platforms that see their instances only through them (instance
     * counts, the verdict on a forced cold start): {@code responses} responses at {@code at} from the instance
     * {@code instanceId} ({@code Salvo-Instance-Id}; null if absent) that started at {@code instanceStartedAt}
     * ({@code Salvo-Instance-Started-At}; null if unknown). Ignored by default.
     */
    default void observeResponses(Instant at, String instanceId, Instant instanceStartedAt, long responses) {}

    /** Whether the last {@link #forceCold()} met a fresh instance, judged from the responses observed since. */
    default ColdStartVerdict coldStartVerdict() {
        return ColdStartVerdict.notForced();
    }

    /**
     * The billed quantities of this deployment between two instants, from the platform's own accounting where it
     * has one (e.g. Lambda's REPORT lines) or estimated from its signals (labelled so in
     * {@link UsageQuantity#basis()}); empty when the platform bills nothing Salvo can see (an existing URL).
     */
    default Optional<PlatformUsage> usage(Instant from, Instant to) throws InterruptedException, PlatformException {
        return Optional.empty();
    }

    /**
     * Called just before the run's first request. A driver whose cold start is an explicit scale-up (Kubernetes
     * without an autoscaler that scales from zero) scales up here; others do nothing.
     */
    default void loadStarting() throws InterruptedException, PlatformException {}

    /**
     * Each cold start since deploy broken down into its phases, and the platform's events; safe to call from any
     * thread at any time. {@code firstResponses} are the first responses the load generator saw per instance id,
     * which end each cold start; a driver matches them to its instances where it can.
     */
    default PlatformTimeline timeline(List<FirstResponse> firstResponses) {
        return PlatformTimeline.EMPTY;
    }

    /** Removes the deployment and everything it started; idempotent. */
    void teardown();

    @Override
    default void close() {
        teardown();
    }
}
