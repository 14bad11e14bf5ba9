package io.salvo.coordinator.server;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.ReportRejected;
import io.salvo.proto.v1.RequestHeadersUpdate;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted worker for coordinator tests: says hello, answers clock probes with a chosen clock
 * offset, and lets the test send whatever it wants afterwards.
 */
public final class FakeWorker implements AutoCloseable {

    final BlockingQueue<Assignment> assignments = new LinkedBlockingQueue<>();
    final BlockingQueue<ReportRejected> rejections = new LinkedBlockingQueue<>();
    final BlockingQueue<RequestHeadersUpdate> headerUpdates = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final StreamObserver<WorkerMessage> outbound;
    private final long clockOffsetNanos;

    public FakeWorker(Channel channel, String id, ProtocolVersion version, long clockOffsetNanos) {
        this(channel, id, "test", version, clockOffsetNanos);
    }

    public FakeWorker(Channel channel, String id, String region, ProtocolVersion version, long clockOffsetNanos) {
        this.clockOffsetNanos = clockOffsetNanos;
        this.outbound = WorkerLinkGrpc.newStub(channel).connect(new StreamObserver<>() {
            @Override
            public void onNext(CoordinatorMessage message) {
                if (message.hasClockProbe()) {
                    long now = now();
                    send(WorkerMessage.newBuilder()
                            .setClockProbeReply(ClockProbeReply.newBuilder()
                                    .setProbeId(message.getClockProbe().getProbeId())
                                    .setCoordinatorSentUnixNanos(
                                            message.getClockProbe().getCoordinatorSentUnixNanos())
                                    .setWorkerReceivedUnixNanos(now)
                                    .setWorkerSentUnixNanos(now))
                            .build());
                } else if (message.hasAssignment()) {
                    assignments.add(message.getAssignment());
                } else if (message.hasRequestHeadersUpdate()) {
                    headerUpdates.add(message.getRequestHeadersUpdate());
                } else if (message.hasReportRejected()) {
                    rejections.add(message.getReportRejected());
                }
            }

            @Override
            public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                closed.complete(Status.OK);
            }
        });
        send(WorkerMessage.newBuilder()
                .setHello(WorkerHello.newBuilder()
                        .setWorkerId(id)
                        .setRegion(region)
                        .setCores(2)
                        .setWeight(1)
                        .setProtocolVersion(version)
                        .setSentAtUnixNanos(now()))
                .build());
    }

    private long now() {
        java.time.Instant i = java.time.Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano() + clockOffsetNanos;
    }

    public synchronized void send(WorkerMessage message) {
        outbound.onNext(message);
    }

    public Assignment awaitAssignment() throws InterruptedException {
        Assignment a = assignments.poll(10, TimeUnit.SECONDS);
        if (a == null) {
            throw new AssertionError("no assignment within 10 s");
        }
        return a;
    }

    @Override
    public synchronized void close() {
        try {
            outbound.onCompleted();
        } catch (RuntimeException ignored) {
            // already closed by the coordinator
        }
    }
}
