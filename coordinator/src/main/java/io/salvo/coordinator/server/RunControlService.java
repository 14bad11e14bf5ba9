package io.salvo.coordinator.server;

import io.salvo.coordinator.run.Run;
import io.salvo.coordinator.run.RunManager;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.StopRunRequest;
import io.salvo.proto.v1.StopRunResponse;
import io.salvo.proto.v1.WatchRunRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/** What the CLI talks to: start, watch, stop and fetch runs. */
public final class RunControlService extends RunControlGrpc.RunControlImplBase {

    private static final Duration DEFAULT_WORKER_WAIT = Duration.ofSeconds(60);

    private final RunManager runs;

    public RunControlService(RunManager runs) {
        this.runs = runs;
    }

    @Override
    public void startRun(StartRunRequest request, StreamObserver<StartRunResponse> response) {
        if (request.getProtocolVersion() != ProtocolVersion.PROTOCOL_VERSION_1) {
            response.onError(Status.FAILED_PRECONDITION.withDescription("incompatible protocol version: client speaks "
                    + request.getProtocolVersionValue() + ", this coordinator speaks "
                    + ProtocolVersion.PROTOCOL_VERSION_1.getNumber()).asRuntimeException());
            return;
        }
        Duration wait = request.getWorkerWaitMillis() > 0 ? Duration.ofMillis(request.getWorkerWaitMillis())
                : DEFAULT_WORKER_WAIT;
        try {
            response.onNext(runs.start(request.getPlan(), wait));
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.CANCELLED.withDescription("coordinator is shutting down").asException());
        }
    }

    @Override
    public void watchRun(WatchRunRequest request, StreamObserver<LiveSnapshot> response) {
        find(request.getRunId(), response).ifPresent(run -> run.watch(response));
    }

    @Override
    public void stopRun(StopRunRequest request, StreamObserver<StopRunResponse> response) {
        try {
            runs.stop(request.getRunId(), request.getReason().isBlank() ? "stopped by a client" : request.getReason());
            response.onNext(StopRunResponse.newBuilder().setState(runs.run(request.getRunId()).orElseThrow().state()).build());
            response.onCompleted();
        } catch (StatusException e) {
            response.onError(e);
        }
    }

    @Override
    public void getRunResult(GetRunResultRequest request, StreamObserver<RunResult> response) {
        find(request.getRunId(), response).ifPresent(run -> {
            response.onNext(run.result());
            response.onCompleted();
        });
    }

    private java.util.Optional<Run> find(String runId, StreamObserver<?> response) {
        java.util.Optional<Run> run = runs.run(runId);
        if (run.isEmpty()) {
            response.onError(Status.NOT_FOUND.withDescription("no run with id '" + runId + "'").asRuntimeException());
        }
        return run;
    }
}
