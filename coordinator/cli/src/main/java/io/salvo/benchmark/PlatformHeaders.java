package io.salvo.benchmark;

import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.HeaderSet;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The headers a platform wants on one run's requests (an ID token, SigV4 signatures per body), kept valid while the
 * run goes on: the first ones go into the plan ({@link #plan()}, generation 1), and once the run has an id
 * ({@link #follow}) the driver is asked again at every {@link RequestHeaders#renewAt()} and each answer is pushed to
 * the coordinator under the next generation, which hands it to the run's workers. The workers re-encode their requests
 * once per generation; nothing is signed or formatted per request.
 *
 * <p>Assumptions and guarantees:
 * <ul>
 *   <li>Time comes from {@code clock} and renewals are scheduled on {@code scheduler}: tests drive both with a fake
 *       clock.</li>
 *   <li>A renewal that fails (the driver cannot sign or mint, the coordinator is unreachable) is retried after
 *       {@link #RETRY_AFTER_FAILURE}; the workers keep the previous headers meanwhile, which the drivers keep valid
 *       for minutes beyond their renewal time.</li>
 *   <li>Generations only go up, also past one another client pushed (the coordinator's answer says the run's).</li>
 *   <li>Header values never reach logs, messages or {@link #toString()}.</li>
 * </ul>
 */
public final class PlatformHeaders implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PlatformHeaders.class.getName());

    /** After a failed renewal, the next try comes this much later. */
    public static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

    /** Hands a run's new header sets to the coordinator; returns the run's generation after the call. */
    @FunctionalInterface
    public interface Push {
        long push(String runId, RequestHeaderSets sets) throws Exception;
    }

    private final PlatformDriver driver;
    private final RunRequests requests;
    private final RunPlan plan;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final Clock clock;

    private long generation;
    private Instant renewAt;
    private String runId;
    private Push push;
    private ScheduledFuture<?> next;
    private boolean closed;
    private final AtomicInteger renewals = new AtomicInteger();
    private volatile String problem;

    private PlatformHeaders(
            PlatformDriver driver,
            RunRequests requests,
            RunPlan plan,
            RequestHeaders first,
            ScheduledExecutorService scheduler,
            boolean ownScheduler,
            Clock clock) {
        this.driver = driver;
        this.requests = requests;
        this.scheduler = scheduler;
        this.ownScheduler = ownScheduler;
        this.clock = clock;
        if (first.isEmpty()) {
            this.plan = plan;
        } else {
            this.generation = 1;
            this.plan = plan.toBuilder()
                    .setRequest(plan.getRequest().toBuilder().setHeaderSets(sets(first, 1)))
                    .build();
        }
        this.renewAt = first.isEmpty() ? null : first.renewAt();
    }

    /**
     * Asks the driver for the plan's headers, with renewals on a daemon thread of its own.
     *
     * @throws PlatformException when the driver cannot give them (the message says why)
     */
    public static PlatformHeaders prepare(RunPlan plan, PlatformDriver driver) throws PlatformException {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "salvo-platform-headers");
            t.setDaemon(true);
            return t;
        });
        try {
            return prepare(plan, driver, scheduler, true, Clock.systemUTC());
        } catch (PlatformException | RuntimeException e) {
            scheduler.shutdownNow();
            throw e;
        }
    }

    /** As {@link #prepare(RunPlan, PlatformDriver)}, on the caller's scheduler and clock (which it keeps). */
    public static PlatformHeaders prepare(
            RunPlan plan, PlatformDriver driver, ScheduledExecutorService scheduler, Clock clock)
            throws PlatformException {
        return prepare(plan, driver, scheduler, false, clock);
    }

    private static PlatformHeaders prepare(
            RunPlan plan, PlatformDriver driver, ScheduledExecutorService scheduler, boolean own, Clock clock)
            throws PlatformException {
        RunRequests requests = requestsOf(plan.getRequest());
        RequestHeaders first = driver.requestHeaders(requests);
        return new PlatformHeaders(driver, requests, plan, first, scheduler, own, clock);
    }

    /** What the plan's requests are, for the driver. */
    static RunRequests requestsOf(RequestTemplate template) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : template.getHeadersList()) {
            headers.put(h.getName(), h.getValue());
        }
        return new RunRequests(
                template.getMethod().isEmpty() ? "GET" : template.getMethod(),
                URI.create(template.getUrl()),
                headers,
                template.getBodiesList().stream().map(b -> b.toByteArray()).toList());
    }

    private static RequestHeaderSets sets(RequestHeaders headers, long generation) {
        RequestHeaderSets.Builder sets = RequestHeaderSets.newBuilder().setGeneration(generation);
        headers.shared().forEach((name, value) -> sets.addShared(header(name, value)));
        for (Map<String, String> body : headers.perBody()) {
            HeaderSet.Builder set = HeaderSet.newBuilder();
            body.forEach((name, value) -> set.addHeaders(header(name, value)));
            sets.addPerBody(set);
        }
        return sets.build();
    }

    private static Header header(String name, String value) {
        return Header.newBuilder().setName(name).setValue(value).build();
    }

    /** The plan with the platform's first headers (generation 1); the plan itself when the platform wants none. */
    public RunPlan plan() {
        return plan;
    }

    /**
     * The run has started with id {@code runId}: renew its headers when due, pushing each renewal through
     * {@code push}. Nothing happens for headers that never need renewing.
     */
    public synchronized void follow(String runId, Push push) {
        this.runId = runId;
        this.push = push;
        if (renewAt != null && !closed) {
            scheduleAt(renewAt);
        }
    }

    /** The generation last handed out (0: the platform wants no headers). */
    public synchronized long generation() {
        return generation;
    }

    /** Renewals pushed successfully so far. */
    public int renewals() {
        return renewals.get();
    }

    /** Why the last renewal failed; null when it succeeded. Never contains a header value. */
    public String problem() {
        return problem;
    }

    private void scheduleAt(Instant due) {
        long delayNanos = Math.max(0, Duration.between(clock.instant(), due).toNanos());
        next = scheduler.schedule(this::renew, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void renew() {
        String id;
        Push to;
        long gen;
        synchronized (this) {
            if (closed) {
                return;
            }
            id = runId;
            to = push;
            gen = ++generation;
        }
        RequestHeaders fresh;
        try {
            fresh = driver.requestHeaders(requests);
            long runGeneration = to.push(id, sets(fresh, gen));
            synchronized (this) {
                // Another client may have pushed a higher one: go on from above it.
                generation = Math.max(generation, runGeneration);
            }
        } catch (PlatformException e) {
            retry("run " + id + ": could not renew the request headers: " + e.getMessage());
            return;
        } catch (Exception e) {
            retry("run " + id + ": could not hand renewed request headers to the coordinator: " + e.getMessage());
            return;
        }
        problem = null;
        renewals.incrementAndGet();
        LOG.log(Level.FINE, "run {0}: request headers renewed, generation {1}", new Object[] {id, gen});
        synchronized (this) {
            renewAt = fresh.renewAt();
            if (!closed && renewAt != null) {
                scheduleAt(renewAt);
            }
        }
    }

    private void retry(String why) {
        problem = why + " (retrying in " + RETRY_AFTER_FAILURE.toSeconds() + " s)";
        LOG.warning(problem);
        synchronized (this) {
            if (!closed) {
                next = scheduler.schedule(this::renew, RETRY_AFTER_FAILURE.toNanos(), TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Stops renewing (the run has ended). */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
    }

    @Override
    public synchronized String toString() {
        return "PlatformHeaders[" + driver.label() + ", generation=" + generation + ", renewAt=" + renewAt + "]";
    }
}
