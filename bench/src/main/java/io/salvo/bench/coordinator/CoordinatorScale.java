package io.salvo.bench.coordinator;

import static io.salvo.bench.shared.Percentiles.nearestRank;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Coordinator scale benchmark (issue 3): N synthetic workers — gRPC streams from this one process —
 * each answer clock probes, send heartbeats when they have sent nothing else for a second (as real
 * workers do: WorkerAgent.sendHeartbeat) and, 20 ms after every interval ends, an interval report
 * with realistic compressed histograms (a few hundred lognormal latencies around 20 ms, 2xx only).
 * A watcher measures, per interval after the first three (JIT warm-up), the delay from the interval's
 * end to its live snapshot; the synthetic workers report 20 ms after the end, as real workers do.
 * It does so for two identical runs on the same coordinator: the first in a fresh JVM ("cold", as
 * this benchmark measured before), the second after it (the figures of a long-lived coordinator).
 *
 * Usage (run by bench/coordinator-scale.sh, against a coordinator it started):
 *   java -cp "bench/target/salvo-bench.jar:bench/target/lib/*" io.salvo.bench.coordinator.CoordinatorScale \
 *        PORT TOKEN_FILE WORKERS SECONDS COORDINATOR_PID
 * COORDINATOR_PID is the coordinator's process id, whose CPU time is read from /proc.
 * Prints one line: workers, intervals, p50/p99/max delay in ms, bytes per worker-interval, CPU per
 * report and core share of the second run, and the first run's p99 delay, core share and CPU per report.
 */
public final class CoordinatorScale {

    static final int WARMUP_INTERVALS = 3;

    private CoordinatorScale() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        ClusterToken token = ClusterToken.read(Path.of(args[1]));
        int workers = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        long coordinatorPid = Long.parseLong(args[4]);
        BearerTokenCredentials credentials = new BearerTokenCredentials(token);

        // Several channels, as several worker machines would open, so one HTTP/2 connection is not the limit.
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port)
                    .usePlaintext()
                    .maxInboundMessageSize(16 << 20)
                    .build());
        }
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        byte[][] payloads = realisticHistograms(64);
        List<Synthetic> synthetic = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            synthetic.add(new Synthetic(
                    String.format("synthetic-%04d", i),
                    channels.get(i % channels.size()),
                    credentials,
                    timers,
                    payloads[i % payloads.length]));
        }
        var control = RunControlGrpc.newBlockingStub(channels.get(0)).withCallCredentials(credentials);
        // Two identical runs on the same coordinator process: the first is measured as this
        // benchmark always measured (a fresh JVM, so its JIT compiler is still busy for tens of
        // seconds), the second with that warm-up behind it, which is what a long-lived coordinator
        // spends per report.
        Measured cold = measure(control, workers, seconds, coordinatorPid);
        Measured warm = measure(control, workers, seconds, coordinatorPid);
        long reportBytes = synthetic.stream().mapToLong(w -> w.bytesSent.get()).sum();
        long reports = synthetic.stream().mapToLong(w -> w.reportsSent.get()).sum();
        System.out.printf(
                Locale.ROOT,
                "workers=%d intervals=%d complete_intervals=%d delay_p50_ms=%.1f delay_p99_ms=%.1f delay_max_ms=%.1f "
                        + "reports=%d bytes_per_report=%.0f rejected=%d steady_cpu_s=%.2f steady_core_share=%.3f "
                        + "cpu_us_per_report=%.1f cold_delay_p99_ms=%.1f cold_core_share=%.3f "
                        + "cold_cpu_us_per_report=%.1f%n",
                workers,
                warm.intervals,
                warm.complete,
                warm.p50,
                warm.p99,
                warm.max,
                reports,
                reports == 0 ? 0 : (double) reportBytes / reports,
                cold.rejected + warm.rejected,
                warm.cpuSeconds,
                warm.coreShare,
                warm.cpuMicrosPerReport,
                cold.p99,
                cold.coreShare,
                cold.cpuMicrosPerReport);
        synthetic.forEach(Synthetic::close);
        timers.shutdownNow();
        channels.forEach(ManagedChannel::shutdownNow);
    }

    record Measured(
            int intervals,
            int complete,
            double p50,
            double p99,
            double max,
            long rejected,
            double cpuSeconds,
            double coreShare,
            double cpuMicrosPerReport) {}

    /** One run of {@code seconds} at 300 req/s per worker, watched until it ends. */
    static Measured measure(
            RunControlGrpc.RunControlBlockingStub control, int workers, int seconds, long coordinatorPid) {
        RunPlan plan = RunPlan.newBuilder()
                .setName("coordinator-scale")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:9/")
                        .setMethod("POST"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(seconds * 1000L)
                        .setStartRatePerSecond(workers * 300.0)
                        .setEndRatePerSecond(workers * 300.0))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(workers)
                .setIntervalMillis(1000)
                .setRequestTimeoutMillis(1000)
                .setConnectTimeoutMillis(1000)
                .setMaxInFlightPerWorker(100)
                .setMaxConnectionsPerWorker(10)
                .build();
        var started = control.withDeadlineAfter(180, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis(120_000)
                        .build());
        long start = started.getStartUnixNanos();
        List<Double> delaysMillis = new ArrayList<>();
        Iterator<LiveSnapshot> watch = control.withDeadlineAfter(seconds + 120L, TimeUnit.SECONDS)
                .watchRun(WatchRunRequest.newBuilder()
                        .setRunId(started.getRunId())
                        .build());
        int complete = 0;
        long ticksAtWarm = -1;
        long nanosAtWarm = 0;
        long reportsAtWarm = 0;
        long ticksAtEnd = -1;
        long nanosAtEnd = 0;
        long reportsAtEnd = 0;
        while (watch.hasNext()) {
            LiveSnapshot s = watch.next();
            long now = unixNanos();
            if (s.getState() != RunState.RUN_STATE_RUNNING) {
                break;
            }
            if (s.getWorkersReported() == workers) {
                complete++;
            }
            long intervalEnd = start + (s.getIntervalIndex() + 1) * 1_000_000_000L;
            // The first intervals measure JIT warm-up of both JVMs, not the steady merge cost.
            if (s.getIntervalIndex() >= WARMUP_INTERVALS) {
                delaysMillis.add((now - intervalEnd) / 1e6);
            }
            // CPU is measured over the steady part only: JVM start-up and JIT are not merge cost.
            if (s.getIntervalIndex() == WARMUP_INTERVALS - 1) {
                ticksAtWarm = cpuTicks(coordinatorPid);
                nanosAtWarm = System.nanoTime();
                reportsAtWarm = (s.getIntervalIndex() + 1) * (long) workers;
            }
            ticksAtEnd = cpuTicks(coordinatorPid);
            nanosAtEnd = System.nanoTime();
            reportsAtEnd = (s.getIntervalIndex() + 1) * (long) workers;
        }
        // Drained: the next run finds every worker idle again.
        while (watch.hasNext()) {
            watch.next();
        }
        RunResult result = control.getRunResult(
                GetRunResultRequest.newBuilder().setRunId(started.getRunId()).build());
        double[] d =
                delaysMillis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double cpuSeconds = (ticksAtEnd - ticksAtWarm) / (double) CLK_TCK;
        double wallSeconds = (nanosAtEnd - nanosAtWarm) / 1e9;
        long steadyReports = reportsAtEnd - reportsAtWarm;
        return new Measured(
                d.length,
                complete,
                nearestRank(d, 50),
                nearestRank(d, 99),
                d.length == 0 ? 0 : d[d.length - 1],
                result.getRejectedReports(),
                cpuSeconds,
                wallSeconds > 0 ? cpuSeconds / wallSeconds : 0,
                steadyReports > 0 ? cpuSeconds * 1e6 / steadyReports : 0);
    }

    /** Linux USER_HZ; the kernel reports /proc CPU times in these ticks (100 on every common build). */
    static final int CLK_TCK = 100;

    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        } catch (IOException e) {
            return -1;
        }
    }

    static long unixNanos() {
        return SyntheticMessages.unixNanos();
    }

    /** A typical second of one worker at 300 req/s: lognormal latencies around 20 ms. */
    static byte[][] realisticHistograms(int variants) {
        SplittableRandom random = new SplittableRandom(7);
        byte[][] result = new byte[variants][];
        for (int v = 0; v < variants; v++) {
            Histogram h = HistogramSpec.newHistogram();
            for (int i = 0; i < 300; i++) {
                h.recordValue((long) (20_000 * Math.exp(0.3 * random.nextGaussian())));
            }
            result[v] = HistogramCodec.encode(h).toByteArray();
        }
        return result;
    }

    static final class Synthetic {
        final String id;
        final StreamObserver<WorkerMessage> out;
        final ScheduledExecutorService timers;
        final ByteString histogram;
        final AtomicLong bytesSent = new AtomicLong();
        final AtomicLong reportsSent = new AtomicLong();
        volatile boolean closed;
        volatile long lastSentNanos = System.nanoTime();

        Synthetic(
                String id,
                ManagedChannel channel,
                BearerTokenCredentials credentials,
                ScheduledExecutorService timers,
                byte[] histogram) {
            this.id = id;
            this.timers = timers;
            this.histogram = ByteString.copyFrom(histogram);
            this.out = WorkerLinkGrpc.newStub(channel)
                    .withCallCredentials(credentials)
                    .connect(new StreamObserver<>() {
                        @Override
                        public void onNext(CoordinatorMessage m) {
                            if (m.hasClockProbe()) {
                                send(SyntheticMessages.clockProbeReply(m.getClockProbe()));
                            } else if (m.hasAssignment()) {
                                run(m.getAssignment());
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            closed = true;
                        }

                        @Override
                        public void onCompleted() {
                            closed = true;
                        }
                    });
            send(SyntheticMessages.hello(id));
            ScheduledFuture<?> unused = timers.scheduleAtFixedRate(
                    () -> {
                        // Any message proves a worker alive; while reports flow a real worker sends no heartbeat.
                        if (System.nanoTime() - lastSentNanos >= TimeUnit.SECONDS.toNanos(1)) {
                            send(SyntheticMessages.heartbeat());
                        }
                    },
                    1000,
                    1000,
                    TimeUnit.MILLISECONDS);
        }

        void run(Assignment a) {
            long intervals = a.getPlan().getPhases(0).getDurationMillis() / 1000;
            for (long i = 0; i < intervals; i++) {
                long index = i;
                long due = a.getStartCoordinatorUnixNanos() + (i + 1) * 1_000_000_000L + 20_000_000L - unixNanos();
                ScheduledFuture<?> unused = timers.schedule(
                        () -> {
                            WorkerMessage message =
                                    SyntheticMessages.report(a.getRunId(), id, a.getEpoch(), index, histogram, 300);
                            bytesSent.addAndGet(message.getSerializedSize());
                            reportsSent.incrementAndGet();
                            send(message);
                            if (index == intervals - 1) {
                                send(SyntheticMessages.finished(a.getRunId(), index, 300));
                            }
                        },
                        Math.max(0, due),
                        TimeUnit.NANOSECONDS);
            }
        }

        synchronized void send(WorkerMessage m) {
            if (!closed) {
                out.onNext(m);
                lastSentNanos = System.nanoTime();
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                out.onCompleted();
            }
        }
    }
}
