package io.salvo.coordinator.server;

import static io.salvo.coordinator.server.ScriptedReports.report;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.result.ReportedBy;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.Heartbeat;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import io.salvo.report.RunReport;
import io.salvo.testkit.Await;
import io.salvo.testkit.TestPlans;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Throws 12,000 random, mutated and semantically hostile messages at the WorkerLink endpoint while a
 * run is live, then checks that the coordinator still answers and that the run's merged data is
 * exactly what its honest workers sent.
 */
class WireFuzzTest {

    private static final int MESSAGES = 12_000;

    /** The WorkerLink method, but with raw bytes, so the fuzzer can send what no stub would. */
    private static final MethodDescriptor<byte[], byte[]> RAW_CONNECT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(WorkerLinkGrpc.getConnectMethod().getFullMethodName())
            .setRequestMarshaller(new RawMarshaller())
            .setResponseMarshaller(new RawMarshaller())
            .build();

    @Test
    void tenThousandHostileMessagesLeaveTheLiveRunIntact() throws Exception {
        long seed = System.nanoTime();
        System.out.println("WireFuzzTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        ClusterToken token = ClusterToken.generate();
        String name = InProcessServerBuilder.generateName();
        RunSettings settings = RunSettings.defaults()
                .withStartLead(Duration.ofMillis(200))
                .withGrace(Duration.ofSeconds(30))
                .withHeartbeatTimeout(Duration.ofSeconds(60))
                .withTick(Duration.ofMillis(20));
        try (CoordinatorServer server =
                CoordinatorServer.start(InProcessServerBuilder.forName(name), WallClock.system(), settings, token)) {
            ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
            BearerTokenCredentials credentials = new BearerTokenCredentials(token);
            try {
                // An honest worker and a run with a generous grace, so nothing completes while we fuzz.
                HonestWorker honest = new HonestWorker(channel, credentials, "honest");
                Await.until(
                        "the honest worker connected",
                        Duration.ofSeconds(10),
                        () -> server.registry().connected() >= 1);
                assertThat(server.registry().connected()).isEqualTo(1);
                String runId = RunControlGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials)
                        .startRun(StartRunRequest.newBuilder()
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                                .setPlan(TestPlans.valid()
                                        .setMaxInFlightPerWorker(1)
                                        .setMaxConnectionsPerWorker(1))
                                .setWorkerWaitMillis(5000)
                                .build())
                        .getRunId();
                honest.send(report(runId, "honest", 0, 1000, 2000, 3000));

                byte[] valid = WorkerMessage.newBuilder()
                        .setIntervalReport(report(runId, "honest", 1, 5))
                        .build()
                        .toByteArray();
                byte[] hello = WorkerMessage.newBuilder()
                        .setHello(WorkerHello.newBuilder()
                                .setWorkerId("x")
                                .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1))
                        .build()
                        .toByteArray();
                AtomicLong closedStreams = new AtomicLong();
                int sent = 0;
                while (sent < MESSAGES) {
                    boolean authenticated = random.nextInt(10) != 0;
                    CallOptions options =
                            authenticated ? CallOptions.DEFAULT.withCallCredentials(credentials) : CallOptions.DEFAULT;
                    ClientCall<byte[], byte[]> call = channel.newCall(RAW_CONNECT, options);
                    CountDownLatch done = new CountDownLatch(1);
                    StreamObserver<byte[]> out = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
                        @Override
                        public void onNext(byte[] value) {}

                        @Override
                        public void onError(Throwable t) {
                            closedStreams.incrementAndGet();
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
                    int burst = 1 + random.nextInt(40);
                    // Half the streams start with a plausible hello, so later messages reach deeper code.
                    if (random.nextBoolean()) {
                        byte[] h = WorkerMessage.newBuilder()
                                .setHello(WorkerHello.newBuilder()
                                        .setWorkerId(random.nextInt(4) == 0 ? "honest" : "fuzz-" + random.nextInt(1000))
                                        .setProtocolVersionValue(random.nextInt(5) == 0 ? random.nextInt() : 1)
                                        .setWeight(random.nextInt()))
                                .build()
                                .toByteArray();
                        out.onNext(h);
                        sent++;
                        burst--;
                    }
                    for (int i = 0; i < burst && sent < MESSAGES; i++, sent++) {
                        out.onNext(hostile(random, runId, valid, hello));
                    }
                    out.onCompleted();
                    done.await(5, TimeUnit.SECONDS);
                }
                assertThat(sent).isGreaterThanOrEqualTo(10_000);

                // The coordinator still serves, and the honest worker's run is untouched.
                honest.send(report(runId, "honest", 1, 4000));
                honest.send(WorkerMessage.newBuilder()
                        .setEvent(WorkerEvent.newBuilder()
                                .setRunId(runId)
                                .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(1)))
                        .build());
                RunResult result = awaitCompleted(channel, credentials, runId);
                assertThat(result.getState()).isEqualTo(RunState.RUN_STATE_COMPLETED);
                RunReport report = RunReport.from(result);
                assertThat(report.totals().requests()).isEqualTo(4);
                assertThat(report.totals().latency().max())
                        .isEqualTo(HistogramSpec.newHistogram().highestEquivalentValue(4000) / 1000.0);
                assertThat(result.getIntervalsList()).hasSize(2);
                assertThat(ReportedBy.workerIds(result, result.getIntervals(0))).containsExactly("honest");
                assertThat(server.refusedCalls()).isPositive();
                assertThat(server.workerLink().protocolViolations()).isPositive();
                honest.close();
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** One hostile message: random bytes, a mutated valid message, or a well-formed lie. */
    private static byte[] hostile(SplittableRandom random, String runId, byte[] valid, byte[] hello) {
        return switch (random.nextInt(6)) {
            case 0 -> {
                byte[] noise = new byte[random.nextInt(300)];
                for (int i = 0; i < noise.length; i++) {
                    noise[i] = (byte) random.nextInt(256);
                }
                yield noise;
            }
            case 1 -> {
                byte[] mutated = (random.nextBoolean() ? valid : hello).clone();
                for (int f = 0, n = 1 + random.nextInt(6); f < n; f++) {
                    mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
                }
                yield mutated;
            }
            case 2 -> {
                byte[] histogram = new byte[random.nextInt(100)];
                for (int i = 0; i < histogram.length; i++) {
                    histogram[i] = (byte) random.nextInt(256);
                }
                yield WorkerMessage.newBuilder()
                        .setIntervalReport(IntervalReport.newBuilder()
                                .setRunId(random.nextBoolean() ? runId : "run-" + random.nextInt())
                                .setWorkerId(random.nextBoolean() ? "honest" : "fuzz")
                                .setIntervalIndex(random.nextLong())
                                .setSent(random.nextLong())
                                .setCompleted(random.nextLong())
                                .addOutcomes(OutcomeHistograms.newBuilder()
                                        .setOutcomeValue(random.nextInt(8))
                                        .setLatencyMicros(ByteString.copyFrom(histogram)))
                                .setSchedulerLagMicros(ByteString.copyFrom(histogram)))
                        .build()
                        .toByteArray();
            }
            case 3 ->
                WorkerMessage.newBuilder()
                        .setEvent(WorkerEvent.newBuilder()
                                .setRunId(runId)
                                .setFinished(WorkerFinished.newBuilder().setLastIntervalIndex(random.nextLong())))
                        .build()
                        .toByteArray();
            case 4 ->
                WorkerMessage.newBuilder()
                        .setClockProbeReply(ClockProbeReply.newBuilder()
                                .setProbeId(random.nextLong())
                                .setCoordinatorSentUnixNanos(random.nextLong())
                                .setWorkerReceivedUnixNanos(random.nextLong())
                                .setWorkerSentUnixNanos(random.nextLong()))
                        .build()
                        .toByteArray();
            default ->
                WorkerMessage.newBuilder()
                        .setHeartbeat(Heartbeat.newBuilder().setInFlight(random.nextLong()))
                        .build()
                        .toByteArray();
        };
    }

    private static RunResult awaitCompleted(ManagedChannel channel, BearerTokenCredentials credentials, String runId) {
        return Await.value("the run completed", Duration.ofSeconds(60), () -> {
            RunResult r = RunControlGrpc.newBlockingStub(channel)
                    .withCallCredentials(credentials)
                    .getRunResult(
                            GetRunResultRequest.newBuilder().setRunId(runId).build());
            return r.getState() == RunState.RUN_STATE_COMPLETED ? r : null;
        });
    }

    /** A well-behaved worker on a normal stub. */
    private static final class HonestWorker {
        private final StreamObserver<WorkerMessage> out;
        private final java.util.concurrent.ScheduledExecutorService heartbeats =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "honest-worker-heartbeat");
                    t.setDaemon(true);
                    return t;
                });

        HonestWorker(ManagedChannel channel, BearerTokenCredentials credentials, String id) {
            List<CoordinatorMessage> received = new ArrayList<>();
            AtomicReference<StreamObserver<WorkerMessage>> self = new AtomicReference<>();
            out = WorkerLinkGrpc.newStub(channel)
                    .withCallCredentials(credentials)
                    .connect(new StreamObserver<>() {
                        @Override
                        public void onNext(CoordinatorMessage m) {
                            synchronized (received) {
                                received.add(m);
                            }
                            if (m.hasClockProbe()) {
                                long now = System.currentTimeMillis() * 1_000_000L;
                                synchronized (HonestWorker.this) {
                                    self.get()
                                            .onNext(WorkerMessage.newBuilder()
                                                    .setClockProbeReply(ClockProbeReply.newBuilder()
                                                            .setProbeId(m.getClockProbe()
                                                                    .getProbeId())
                                                            .setCoordinatorSentUnixNanos(m.getClockProbe()
                                                                    .getCoordinatorSentUnixNanos())
                                                            .setWorkerReceivedUnixNanos(now)
                                                            .setWorkerSentUnixNanos(now))
                                                    .build());
                                }
                            }
                        }

                        @Override
                        public void onError(Throwable t) {}

                        @Override
                        public void onCompleted() {}
                    });
            self.set(out);
            send(WorkerMessage.newBuilder()
                    .setHello(WorkerHello.newBuilder()
                            .setWorkerId(id)
                            .setWeight(1)
                            .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1))
                    .build());
            // Like a real worker: a silent session counts as a half-open leftover and gives way to
            // the next hello with its id, which the fuzzer sends.
            ScheduledFuture<?> unused = heartbeats.scheduleAtFixedRate(
                    () -> send(WorkerMessage.newBuilder()
                            .setHeartbeat(io.salvo.proto.v1.Heartbeat.newBuilder()
                                    .setSentAtUnixNanos(System.currentTimeMillis() * 1_000_000L))
                            .build()),
                    500,
                    500,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        void send(IntervalReport report) {
            send(WorkerMessage.newBuilder().setIntervalReport(report).build());
        }

        synchronized void send(WorkerMessage message) {
            out.onNext(message);
        }

        synchronized void close() {
            heartbeats.shutdownNow();
            out.onCompleted();
        }
    }

    private static final class RawMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
