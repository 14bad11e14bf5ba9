package io.salvo.coordinator.server;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.run.RunManager;
import io.salvo.proto.v1.ConnectedWorker;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.ListWorkersRequest;
import io.salvo.proto.v1.ListWorkersResponse;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.ReportPlatformRequest;
import io.salvo.proto.v1.ReportPlatformResponse;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.StopRunRequest;
import io.salvo.proto.v1.StopRunResponse;
import io.salvo.proto.v1.UpdateRequestHeadersRequest;
import io.salvo.proto.v1.UpdateRequestHeadersResponse;
import io.salvo.proto.v1.WatchRunRequest;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;

/**
 * What the CLI talks to: start, watch, stop and fetch runs. Runs start on the cluster's leader;
 * every coordinator watches, stops and reports any run from the replicated state.
 */
public final class RunControlService extends RunControlGrpc.RunControlImplBase {

    private static final Duration DEFAULT_WORKER_WAIT = Duration.ofSeconds(60);
    /** A client reports the events of one interval or so; a flood is refused rather than held. */
    static final int MAX_PLATFORM_EVENTS_PER_REPORT = 1000;

    private final RunManager runs;
    private final SnapshotFeeds feeds;
    private final WorkerRegistry workers;
    private final WallClock clock;

    RunControlService(RunManager runs, SnapshotFeeds feeds, WorkerRegistry workers, WallClock clock) {
        this.runs = runs;
        this.feeds = feeds;
        this.workers = workers;
        this.clock = clock;
    }

    @Override
    public void listWorkers(ListWorkersRequest request, StreamObserver<ListWorkersResponse> response) {
        ListWorkersResponse.Builder list = ListWorkersResponse.newBuilder()
                .setCoordinatorId(runs.coordinatorId())
                .setAtUnixNanos(clock.unixNanos());
        workers.all().stream()
                .filter(s -> !s.closed())
                .sorted(Comparator.comparing(WorkerSession::workerId))
                .forEach(s -> {
                    ConnectedWorker.Builder worker = ConnectedWorker.newBuilder()
                            .setHello(s.hello())
                            .setClockOffsetNanos(s.clockOffsetNanos())
                            .setClockRoundTripNanos(s.clockRoundTripNanos())
                            .setLastHeardUnixNanos(s.lastHeardUnixNanos())
                            .setHeldHere(s.local());
                    if (s.runId() != null) {
                        worker.setRunId(s.runId());
                    }
                    list.addWorkers(worker);
                });
        response.onNext(list.build());
        response.onCompleted();
    }

    @Override
    public void startRun(StartRunRequest request, StreamObserver<StartRunResponse> response) {
        if (request.getProtocolVersion() != ProtocolVersion.PROTOCOL_VERSION_1) {
            response.onError(Status.FAILED_PRECONDITION
                    .withDescription("incompatible protocol version: client speaks "
                            + request.getProtocolVersionValue() + ", this coordinator speaks "
                            + ProtocolVersion.PROTOCOL_VERSION_1.getNumber())
                    .asRuntimeException());
            return;
        }
        Duration wait = request.getWorkerWaitMillis() > 0
                ? Duration.ofMillis(request.getWorkerWaitMillis())
                : DEFAULT_WORKER_WAIT;
        try {
            response.onNext(runs.start(request.getPlan(), wait));
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED
                    .withDescription("coordinator is shutting down")
                    .asException());
        }
    }

    @Override
    public void watchRun(WatchRunRequest request, StreamObserver<LiveSnapshot> response) {
        if (runs.record(request.getRunId()).isEmpty()) {
            response.onError(notFound(request.getRunId()));
            return;
        }
        if (runs.archived(request.getRunId())) {
            finalSnapshot(request.getRunId(), response);
            return;
        }
        feeds.watch(request.getRunId(), response);
    }

    @Override
    public void stopRun(StopRunRequest request, StreamObserver<StopRunResponse> response) {
        try {
            runs.stop(request.getRunId(), request.getReason().isBlank() ? "stopped by a client" : request.getReason());
            RunState state = runs.run(request.getRunId()).map(r -> r.state()).orElse(RunState.RUN_STATE_DRAINING);
            response.onNext(StopRunResponse.newBuilder().setState(state).build());
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        }
    }

    @Override
    public void updateRequestHeaders(
            UpdateRequestHeadersRequest request, StreamObserver<UpdateRequestHeadersResponse> response) {
        try {
            response.onNext(runs.updateRequestHeaders(request.getRunId(), request.getHeaderSets()));
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        }
    }

    @Override
    public void getRunResult(GetRunResultRequest request, StreamObserver<RunResult> response) {
        try {
            Optional<RunResult> result = runs.result(request.getRunId());
            if (result.isEmpty()) {
                response.onError(notFound(request.getRunId()));
                return;
            }
            response.onNext(result.get());
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        }
    }

    @Override
    public void reportPlatform(ReportPlatformRequest request, StreamObserver<ReportPlatformResponse> response) {
        if (request.getEventsCount() > MAX_PLATFORM_EVENTS_PER_REPORT) {
            response.onError(Status.INVALID_ARGUMENT
                    .withDescription("at most " + MAX_PLATFORM_EVENTS_PER_REPORT + " platform events per report, got "
                            + request.getEventsCount())
                    .asRuntimeException());
            return;
        }
        io.salvo.coordinator.run.Run run = runs.ledRun(request.getRunId());
        if (run == null) {
            response.onError(
                    runs.record(request.getRunId()).isEmpty()
                            ? notFound(request.getRunId())
                            : Status.FAILED_PRECONDITION
                                    .withDescription("this coordinator does not lead run " + request.getRunId()
                                            + "; report the platform to its leader")
                                    .asRuntimeException());
            return;
        }
        run.reportPlatform(request);
        response.onNext(ReportPlatformResponse.getDefaultInstance());
        response.onCompleted();
    }

    /** An archived run's live snapshots are gone: a watcher gets its end, from the stored result. */
    private void finalSnapshot(String runId, StreamObserver<LiveSnapshot> response) {
        try {
            Optional<RunResult> result = runs.result(runId);
            if (result.isEmpty()) {
                response.onError(notFound(runId));
                return;
            }
            RunResult r = result.get();
            long lastIndex = r.getIntervalsCount() == 0
                    ? 0
                    : r.getIntervals(r.getIntervalsCount() - 1).getIntervalIndex();
            response.onNext(LiveSnapshot.newBuilder()
                    .setRunId(runId)
                    .setState(r.getState())
                    .setMessage(r.getMessage())
                    .setIntervalIndex(lastIndex)
                    .build());
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        }
    }

    private static RuntimeException notFound(String runId) {
        String shown = runId.length() > 100 ? runId.substring(0, 100) + "..." : runId;
        return Status.NOT_FOUND
                .withDescription("no run with id '" + shown + "'")
                .asRuntimeException();
    }
}
