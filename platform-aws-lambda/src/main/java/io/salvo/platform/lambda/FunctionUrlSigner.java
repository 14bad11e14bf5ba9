package io.salvo.platform.lambda;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.regions.Region;

/**
 * SigV4 signatures for requests to a function URL with auth type {@code AWS_IAM}, made off the load generator's hot
 * path: every distinct body of a run is signed once per round with the SDK's {@link AwsV4HttpSigner}, and rounds
 * repeat on a schedule well within the signature's validity, so a sender only swaps in pre-encoded requests whose
 * headers come from the latest {@link Signatures}.
 *
 * <p><b>Assumptions and guarantees.</b> AWS accepts a SigV4 request whose {@code X-Amz-Date} is within
 * {@link #SIGNATURE_VALIDITY} of its own clock; a round's signatures are used for at most one interval
 * ({@code resignEvery}, at most {@link #MAX_RESIGN_INTERVAL}), which leaves minutes for clock skew and requests in
 * flight. Temporary credentials (a session token) are re-read from the provider at every round, and a round is
 * brought forward so that it happens at least {@link #CREDENTIAL_MARGIN} before they expire. Bodies with the same bytes
 * share one signature (the signature covers the body's SHA-256, nothing else differs). A failed round keeps the
 * previous signatures in place and retries after {@link #RETRY_AFTER_FAILURE}; the listener hears only of successful
 * rounds. {@link #current()} may be called from any thread.
 */
public final class FunctionUrlSigner implements AutoCloseable {

    /** How long AWS accepts a SigV4 signature after its X-Amz-Date (and before, for clock skew). */
    public static final Duration SIGNATURE_VALIDITY = Duration.ofMinutes(5);
    /** The longest allowed re-signing interval: keeps a minute for skew and requests in flight. */
    public static final Duration MAX_RESIGN_INTERVAL = Duration.ofMinutes(4);
    /** The default re-signing interval. */
    public static final Duration DEFAULT_RESIGN_INTERVAL = Duration.ofMinutes(1);
    /** A round happens at least this long before temporary credentials expire. */
    public static final Duration CREDENTIAL_MARGIN = Duration.ofMinutes(2);
    /** After a failed round (credentials could not be read), the next try comes this much later. */
    public static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

    private static final Logger LOG = Logger.getLogger(FunctionUrlSigner.class.getName());
    private static final String SERVICE = "lambda";

    /**
     * One round of signatures.
     *
     * @param signedAt       the instant in every X-Amz-Date of this round
     * @param useUntil       when the next round is due; the signatures stay valid for minutes after that
     * @param headersPerBody for body i of the run's rotation, the headers to add to its request (Host, X-Amz-Date,
     *                       X-Amz-Content-SHA256, X-Amz-Security-Token for temporary credentials, Authorization)
     * @param signingsInRound how many signatures this round computed (the number of distinct bodies)
     */
    public record Signatures(
            Instant signedAt, Instant useUntil, List<Map<String, String>> headersPerBody, int signingsInRound) {

        public Signatures {
            headersPerBody = headersPerBody.stream().map(Map::copyOf).toList();
        }
    }

    private final URI url;
    private final SdkHttpMethod method;
    private final Map<String, String> headers;
    private final List<byte[]> bodies;
    private final AwsCredentialsProvider credentials;
    private final Region region;
    private final Clock clock;
    private final Duration resignEvery;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

    private volatile Signatures current;
    private ScheduledExecutorService scheduler;
    private Consumer<Signatures> listener;
    private ScheduledFuture<?> next;
    private boolean closed;

    /**
     * @param url         the function URL (path included) the requests go to
     * @param method      HTTP method of the requests
     * @param headers     the plan's own headers of every request (signed too, e.g. Content-Type)
     * @param bodies      the run's request bodies, in rotation order (may repeat)
     * @param credentials where credentials come from (the SDK's default chain in production)
     * @param region      the function's region
     * @param clock       time of the X-Amz-Date; the scheduler must move with it
     * @param resignEvery how often a new round is signed (at most {@link #MAX_RESIGN_INTERVAL})
     */
    public FunctionUrlSigner(
            URI url,
            String method,
            Map<String, String> headers,
            List<byte[]> bodies,
            AwsCredentialsProvider credentials,
            Region region,
            Clock clock,
            Duration resignEvery) {
        if (resignEvery.isNegative() || resignEvery.isZero() || resignEvery.compareTo(MAX_RESIGN_INTERVAL) > 0) {
            throw new IllegalArgumentException("re-signing interval must be in (0, " + MAX_RESIGN_INTERVAL.toMinutes()
                    + " min] so that signatures in use are always valid (AWS accepts " + SIGNATURE_VALIDITY.toMinutes()
                    + " min), got " + resignEvery);
        }
        this.url = Objects.requireNonNull(url, "url");
        this.method = SdkHttpMethod.fromValue(method.toUpperCase(Locale.ROOT));
        this.headers = new LinkedHashMap<>(headers);
        this.bodies = bodies.isEmpty()
                ? List.of(new byte[0])
                : bodies.stream().map(byte[]::clone).toList();
        this.credentials = credentials;
        this.region = region;
        this.clock = clock;
        this.resignEvery = resignEvery;
    }

    /**
     * Signs a round now, then keeps signing on {@code scheduler} and hands every new round to {@code listener} (on
     * the scheduler's thread: the place to re-encode requests, never the sender's hot path).
     *
     * @throws SdkException when the first round cannot be signed (no credentials): nothing is scheduled then
     */
    public synchronized Signatures start(ScheduledExecutorService executor, Consumer<Signatures> onRound) {
        if (scheduler != null) {
            throw new IllegalStateException("already started");
        }
        this.scheduler = executor;
        this.listener = onRound;
        Signatures first = signRound();
        onRound.accept(first);
        scheduleNext(delayAfter(first));
        return first;
    }

    /** The latest round; null before the first. */
    public Signatures current() {
        return current;
    }

    /** Signs one round of every distinct body now and makes it {@link #current()}. */
    public Signatures signRound() {
        AwsCredentials identity = credentials.resolveCredentials();
        Instant now = clock.instant();
        Map<String, Map<String, String>> byDigest = new HashMap<>();
        List<Map<String, String>> perBody = new ArrayList<>(bodies.size());
        for (byte[] body : bodies) {
            String digest = sha256Hex(body);
            perBody.add(byDigest.computeIfAbsent(digest, d -> sign(identity, body, d, now)));
        }
        Instant useUntil = now.plus(resignEvery);
        Optional<Instant> expires = identity.expirationTime();
        if (expires.isPresent() && expires.get().minus(CREDENTIAL_MARGIN).isBefore(useUntil)) {
            useUntil = max(now, expires.get().minus(CREDENTIAL_MARGIN));
        }
        Signatures round = new Signatures(now, useUntil, perBody, byDigest.size());
        current = round;
        return round;
    }

    private Map<String, String> sign(AwsCredentials identity, byte[] body, String digest, Instant now) {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder().uri(url).method(method);
        headers.forEach(request::putHeader);
        request.putHeader("X-Amz-Content-SHA256", digest);
        Clock fixed = Clock.fixed(now, java.time.ZoneOffset.UTC);
        SignedRequest signed = signer.sign(r -> r.identity(identity)
                .request(request.build())
                .payload(ContentStreamProvider.fromByteArrayUnsafe(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, SERVICE)
                .putProperty(AwsV4HttpSigner.REGION_NAME, region.id())
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, fixed));
        Map<String, String> added = new LinkedHashMap<>();
        signed.request().headers().forEach((name, values) -> {
            boolean planHeader = headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase(name));
            if (!planHeader && !values.isEmpty()) {
                added.put(name, values.get(0));
            }
        });
        return added;
    }

    private Duration delayAfter(Signatures round) {
        Duration delay = Duration.between(clock.instant(), round.useUntil());
        return delay.compareTo(Duration.ofMillis(1)) < 0 ? RETRY_AFTER_FAILURE : delay;
    }

    private synchronized void scheduleNext(Duration delay) {
        if (closed) {
            return;
        }
        next = scheduler.schedule(this::scheduledRound, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void scheduledRound() {
        Consumer<Signatures> onRound;
        synchronized (this) {
            if (closed) {
                return;
            }
            onRound = listener;
        }
        Signatures round;
        try {
            round = signRound();
        } catch (SdkException e) {
            // the previous round stays valid for minutes yet; try again soon
            LOG.warning(() -> "could not sign function URL requests (retrying in " + RETRY_AFTER_FAILURE.toSeconds()
                    + " s): " + e.getMessage());
            scheduleNext(RETRY_AFTER_FAILURE);
            return;
        }
        onRound.accept(round);
        scheduleNext(delayAfter(round));
    }

    /** Stops re-signing; {@link #current()} keeps the last round. */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
