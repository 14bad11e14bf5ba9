package io.salvo.benchmark;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformEvent;
import io.salvo.proto.v1.PlatformEventReport;
import io.salvo.proto.v1.PlatformInstances;
import io.salvo.proto.v1.ReportPlatformRequest;
import io.salvo.proto.v1.RunControlGrpc.RunControlBlockingStub;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Carries a platform driver's view into a run's live feed: the client that holds the driver (salvo run, salvo bench)
 * reports the driver's instance counts and its events not reported yet to the coordinator ({@code ReportPlatform})
 * after each snapshot and once at load start; the coordinator puts them into its next snapshot, which every watcher
 * sees (salvo watch, the dashboard, this client's own live lines).
 *
 * <p>Not thread-safe: one run's watch loop uses it.
 */
public final class PlatformLiveFeed {

    /** How long one report may take; the live view must not stall behind it. */
    private static final long DEADLINE_MILLIS = 2_000;

    /** The counts and the events not taken before, as the driver gives them now. */
    public record Update(int ready, int starting, Instant countsAt, List<PlatformEvent> events) {}

    private final PlatformDriver driver;
    private final Set<PlatformEvent> taken = new HashSet<>();
    /** Set once the coordinator said it does not know ReportPlatform (an older one): reports stop. */
    private boolean unsupported;

    /**
     * A feed of what the driver sees from now on: the events it recorded before (the deployment's first pods, those a
     * forced cold start removed) are the report's, not this run's live view.
     */
    public PlatformLiveFeed(PlatformDriver driver) {
        this.driver = driver;
        taken.addAll(driver.timeline(List.of()).events());
    }

    /** The counts now and the events not taken before (each event is taken once). */
    public Update next() {
        List<InstanceCountSample> counts = driver.signals().instanceCounts();
        InstanceCountSample last = counts.isEmpty() ? null : counts.get(counts.size() - 1);
        List<PlatformEvent> fresh =
                driver.timeline(List.of()).events().stream().filter(taken::add).toList();
        return new Update(
                last == null ? 0 : last.ready(),
                last == null ? 0 : last.starting(),
                last == null ? null : last.at(),
                fresh);
    }

    /** The report of {@code update} for run {@code runId}. */
    public ReportPlatformRequest request(String runId, Update update) {
        PlatformInstances.Builder instances = PlatformInstances.newBuilder()
                .setReady(update.ready())
                .setStarting(update.starting())
                .setSource(driver.label());
        if (update.countsAt() != null) {
            instances.setAtUnixNanos(unixNanos(update.countsAt()));
        }
        ReportPlatformRequest.Builder request =
                ReportPlatformRequest.newBuilder().setRunId(runId).setInstances(instances);
        for (PlatformEvent e : update.events()) {
            request.addEvents(PlatformEventReport.newBuilder()
                    .setAtUnixNanos(unixNanos(e.at()))
                    .setSeverity(e.severity())
                    .setObject(e.object())
                    .setReason(e.reason())
                    .setMessage(e.message()));
        }
        return request.build();
    }

    /**
     * Reports the driver's view now to the coordinator behind {@code control}; returns the update sent, or null when
     * it was not accepted (a coordinator without ReportPlatform, one that does not lead the run, or one not answering
     * in time: the events of a refused update are not taken again, they are in the report's platform section).
     */
    public Update push(RunControlBlockingStub control, String runId) {
        if (unsupported) {
            return null;
        }
        Update update = next();
        try {
            control.withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS).reportPlatform(request(runId, update));
            return update;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
                unsupported = true;
            }
            return null;
        }
    }

    /** Whether the coordinator said it cannot take reports: the client then shows the driver's view itself. */
    public boolean unsupported() {
        return unsupported;
    }

    private static long unixNanos(Instant at) {
        return at.getEpochSecond() * 1_000_000_000L + at.getNano();
    }
}
