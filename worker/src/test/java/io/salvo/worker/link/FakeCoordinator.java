package io.salvo.worker.link;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.Welcome;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback coordinator for tests: records every worker message, welcomes a hello (unless told
 * to refuse it) and lets the test push messages or break the stream.
 */
final class FakeCoordinator implements AutoCloseable {

    final BlockingQueue<WorkerMessage> received = new LinkedBlockingQueue<>();
    private final Server server;
    private volatile StreamObserver<CoordinatorMessage> toWorker;
    volatile String refuseWith;
    volatile int heartbeatMillis = 200;

    FakeCoordinator(int port) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .addService(new WorkerLinkGrpc.WorkerLinkImplBase() {
                    @Override
                    public StreamObserver<WorkerMessage> connect(StreamObserver<CoordinatorMessage> responses) {
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(WorkerMessage message) {
                                if (message.hasHello() && refuseWith == null) {
                                    // Before the Hello becomes visible to the test: a test that saw it may send at
                                    // once.
                                    synchronized (FakeCoordinator.this) {
                                        toWorker = responses;
                                        responses.onNext(CoordinatorMessage.newBuilder()
                                                .setWelcome(Welcome.newBuilder()
                                                        .setCoordinatorId("fake")
                                                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                                        .setHeartbeatIntervalMillis(heartbeatMillis))
                                                .build());
                                    }
                                }
                                received.add(message);
                                if (message.hasHello() && refuseWith != null) {
                                    responses.onError(Status.FAILED_PRECONDITION
                                            .withDescription(refuseWith)
                                            .asRuntimeException());
                                }
                            }

                            @Override
                            public void onError(Throwable t) {}

                            @Override
                            public void onCompleted() {
                                responses.onCompleted();
                            }
                        };
                    }
                })
                .build()
                .start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort());
    }

    synchronized void send(CoordinatorMessage message) {
        toWorker.onNext(message);
    }

    /** The next message matching {@code kind}, skipping others; fails after {@code seconds}. */
    WorkerMessage next(WorkerMessage.BodyCase kind, long seconds) {
        return Await.value("a " + kind + " from the worker", Duration.ofSeconds(seconds), () -> {
            WorkerMessage message;
            while ((message = received.poll()) != null) {
                if (message.getBodyCase() == kind) {
                    return message;
                }
            }
            return null;
        });
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
