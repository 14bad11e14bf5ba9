package io.salvo.platform.cloudrun;

import io.salvo.platform.RequestHeaders;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code Authorization: Bearer <ID token>} a private Cloud Run service needs, kept fresh: fetched at
 * {@link #start()}, fetched again {@code refreshBefore} ahead of its expiry, retried every {@code retryDelay} when a
 * fetch fails. {@link #requestHeaders()} gives the header with the instant to ask again, which is how a run's workers
 * get a new token during the run (once per token, about every 50 minutes), never formatting anything per request;
 * listeners receive each new header value, once per refresh.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Time comes from {@code now} and refreshes are scheduled on {@code scheduler}: tests drive both with a fake
 *       clock.</li>
 *   <li>{@link #authorizationValue()} never blocks and always returns the newest token fetched; a token past its
 *       expiry is still returned (the service will answer 401) and {@link #problem()} says why it was not
 *       refreshed.</li>
 *   <li>The token never appears in {@link #toString()}, logs or exception messages.</li>
 * </ul>
 */
public final class InvokerToken implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(InvokerToken.class.getName());

    /** Google-signed ID tokens live one hour; refreshing 10 minutes early leaves room for several retries. */
    public static final Duration DEFAULT_REFRESH_BEFORE = Duration.ofMinutes(10);

    public static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(30);

    /** Mints an ID token for an audience (the service URL). */
    @FunctionalInterface
    public interface Source {
        Token fetch(String audience) throws IOException;
    }

    /** One ID token; its value never reaches {@link #toString()}. */
    public record Token(String value, Instant expiresAt) {
        public Token {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }

        @Override
        public String toString() {
            return "Token[value=<redacted>, expiresAt=" + expiresAt + "]";
        }
    }

    private final Source source;
    private final String audience;
    private final Duration refreshBefore;
    private final Duration retryDelay;
    private final ScheduledExecutorService scheduler;
    private final Supplier<Instant> now;
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private volatile Token token;
    private volatile String problem;
    private volatile int refreshes;
    private ScheduledFuture<?> next;
    private boolean closed;

    public InvokerToken(
            Source source,
            String audience,
            Duration refreshBefore,
            Duration retryDelay,
            ScheduledExecutorService scheduler,
            Supplier<Instant> now) {
        this.source = source;
        this.audience = audience;
        this.refreshBefore = refreshBefore;
        this.retryDelay = retryDelay;
        this.scheduler = scheduler;
        this.now = now;
    }

    /**
     * Fetches the first token (blocking) and schedules its refresh.
     *
     * @throws IOException when the first token cannot be minted
     */
    public void start() throws IOException {
        Token first = source.fetch(audience);
        synchronized (this) {
            token = first;
            scheduleAfter(first);
        }
    }

    /** The header value, {@code Bearer <token>}. @throws IllegalStateException before {@link #start()} */
    public String authorizationValue() {
        Token current = token;
        if (current == null) {
            throw new IllegalStateException("start() first");
        }
        return "Bearer " + current.value();
    }

    /** When the current token expires. */
    public Instant expiresAt() {
        Token current = token;
        return current == null ? null : current.expiresAt();
    }

    /** How long the current token stays valid from now; zero when expired. */
    public Duration remainingValidity() {
        Instant expires = expiresAt();
        if (expires == null) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now.get(), expires);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * Makes sure the header stays valid for {@code needed} from now: fetches a fresh token at once when the current one
     * would expire sooner. This is how a run shorter than a token's life (about an hour) gets one header for its whole
     * length without the workers replacing it mid-run.
     *
     * @throws IOException when no token valid that long can be had (the message says how long one lasts)
     */
    public void ensureValidFor(Duration needed) throws IOException {
        if (remainingValidity().compareTo(needed) >= 0) {
            return;
        }
        Token fresh = source.fetch(audience);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            token = fresh;
            refreshes++;
            if (next != null) {
                next.cancel(false);
            }
            scheduleAfter(fresh);
        }
        String value = "Bearer " + fresh.value();
        for (Consumer<String> listener : listeners) {
            listener.accept(value);
        }
        Duration left = remainingValidity();
        if (left.compareTo(needed) < 0) {
            throw new IOException("an ID token for " + audience + " is valid for " + left.toMinutes() + " min, the run"
                    + " needs " + needed.toMinutes() + " min: a longer run needs the header renewed during it"
                    + " (requestHeaders())");
        }
    }

    /**
     * The header for a run's requests now, and when to ask again: at {@code refreshBefore} ahead of the token's expiry
     * (never sooner than {@code retryDelay} from now). A token that has no more than {@code refreshBefore} plus
     * {@code retryDelay} left is replaced first, so asking at the time given always yields a fresh one, and a run of
     * any length keeps a valid header as long as the caller asks when told to.
     *
     * @throws IOException when a fresh token is due and cannot be minted (the current one, if any, is kept and still
     *                     valid for about {@code refreshBefore}: ask again after {@code retryDelay})
     */
    public RequestHeaders requestHeaders() throws IOException {
        if (token == null) {
            throw new IllegalStateException("start() first");
        }
        if (remainingValidity().compareTo(refreshBefore.plus(retryDelay)) <= 0) {
            Token fresh = source.fetch(audience);
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("closed");
                }
                token = fresh;
                refreshes++;
                if (next != null) {
                    next.cancel(false);
                }
                scheduleAfter(fresh);
            }
            problem = null;
            String value = "Bearer " + fresh.value();
            for (Consumer<String> listener : listeners) {
                listener.accept(value);
            }
        }
        Token current = token;
        Instant renewAt = current.expiresAt().minus(refreshBefore);
        Instant earliest = now.get().plus(retryDelay);
        return new RequestHeaders(
                Map.of("Authorization", "Bearer " + current.value()),
                List.of(),
                renewAt.isBefore(earliest) ? earliest : renewAt);
    }

    /** Why the last refresh failed; null when the last fetch succeeded. Never contains the token. */
    public String problem() {
        return problem;
    }

    /** Refreshes done since {@link #start()}. */
    public int refreshes() {
        return refreshes;
    }

    /** Called with each new header value after a refresh (not for the first token: read it after start). */
    public void addListener(Consumer<String> onNewAuthorizationValue) {
        listeners.add(onNewAuthorizationValue);
    }

    private void refresh() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        Token fresh;
        try {
            fresh = source.fetch(audience);
        } catch (IOException | RuntimeException e) {
            problem = "ID token refresh for " + audience + " failed: " + CloudRunErrors.firstLine(e.getMessage());
            LOG.log(Level.WARNING, problem);
            synchronized (this) {
                if (!closed) {
                    next = scheduler.schedule(this::refresh, retryDelay.toNanos(), TimeUnit.NANOSECONDS);
                }
            }
            return;
        }
        problem = null;
        synchronized (this) {
            token = fresh;
            refreshes++;
            scheduleAfter(fresh);
        }
        String value = "Bearer " + fresh.value();
        for (Consumer<String> listener : listeners) {
            listener.accept(value);
        }
    }

    private void scheduleAfter(Token current) {
        if (closed) {
            return;
        }
        Duration until = Duration.between(now.get(), current.expiresAt().minus(refreshBefore));
        // a token shorter-lived than the margin is refreshed at half its remaining life, never in a tight loop
        if (until.compareTo(Duration.ofSeconds(1)) < 0) {
            Duration half = Duration.between(now.get(), current.expiresAt()).dividedBy(2);
            until = half.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : half;
        }
        next = scheduler.schedule(this::refresh, until.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "InvokerToken[audience=" + audience + ", expiresAt=" + expiresAt() + "]";
    }
}
