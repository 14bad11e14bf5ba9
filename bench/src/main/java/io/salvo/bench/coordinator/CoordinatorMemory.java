package io.salvo.bench.coordinator;

import static io.salvo.bench.shared.Percentiles.nearestRank;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.clock.WallClock;
import io.salvo.coordinator.cluster.ClusterSettings;
import io.salvo.coordinator.cluster.CoordinatorCluster;
import io.salvo.coordinator.run.RunSettings;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.histogram.HistogramCodec;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.RunState;
import io.salvo.proto.v1.StartRunRequest;
import io.salvo.proto.v1.StartRunResponse;
import io.salvo.proto.v1.WatchRunRequest;
import io.salvo.proto.v1.WorkerLinkGrpc;
import io.salvo.proto.v1.WorkerMessage;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Coordinator memory over a long, wide run (issue 11, item 2): two coordinators of one cluster in this process (so
 * their heap and replicated maps can be read), N synthetic workers streaming to the leader, one report per worker
 * and interval (~1 KB, as CoordinatorScale's), time-compressed with short intervals. Every SAMPLE seconds it forces
 * a GC and prints the process's heap after it and the run's replicated map sizes; at the end it prints the slopes
 * after the first minute and the interval-end-to-live-view delay. With {@code takeover}, the leader is halted (as
 * killed) TAKEOVER_BEFORE intervals before the end: the workers reconnect to the other coordinator and re-send
 * their last 32 messages, as real workers do, and the run's result is checked for exactness there: every interval
 * once with every worker, sums and histograms equal to what was sent, nothing rejected.
 *
 * <p>Usage (run by bench/coordinator-memory.sh):
 * <pre>
 *   java -Xmx4g -cp "bench/target/salvo-bench.jar:bench/target/lib/*" io.salvo.bench.coordinator.CoordinatorMemory \
 *        WORKERS INTERVAL_MS INTERVALS compaction|none [takeover]
 * </pre>
 * System properties: {@code bench.sampleSeconds} (30), {@code bench.takeoverBefore} (intervals, 50).
 * Heap figures are the whole process: both coordinators (the backup copies included) and the synthetic workers.
 */
public final class CoordinatorMemory {

    static final int PER_REPORT = 300;
    static final int WARMUP_INTERVALS = 30;
    static final int RESENT_MESSAGES = 32;

    private CoordinatorMemory() {}

    public static void main(String[] args) throws Exception {
        int workers = Integer.parseInt(args[0]);
        int intervalMillis = Integer.parseInt(args[1]);
        int intervals = Integer.parseInt(args[2]);
        boolean compaction = args[3].equals("compaction");
        boolean takeover = args.length > 4 && args[4].equals("takeover");
        int sampleSeconds = Integer.getInteger("bench.sampleSeconds", 30);
        int takeoverBefore = Integer.getInteger("bench.takeoverBefore", 50);

        ClusterToken token = ClusterToken.generate();
        int portA = freePort();
        int portB = freePort();
        List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        String name = "bench-memory-" + ProcessHandle.current().pid();
        // A silence limit of 30 s instead of 3 s: on a loaded shared machine a starved process must not lose its own
        // synthetic workers (what is measured here is memory; losses are measured elsewhere).
        RunSettings settings = RunSettings.defaults()
                .withHeartbeatTimeout(Duration.ofSeconds(30))
                .withCompactionMargin(compaction ? RunSettings.DEFAULT_COMPACTION_MARGIN : null);
        CoordinatorServer a = coordinator(settings, token, new ClusterSettings(name, "127.0.0.1", portA, members));
        CoordinatorServer b = coordinator(settings, token, new ClusterSettings(name, "127.0.0.1", portB, members));
        while (a.cluster().memberIds().size() < 2) {
            Thread.sleep(50);
        }
        BearerTokenCredentials credentials = new BearerTokenCredentials(token);
        ManagedChannel toA = channel(a.port());
        ManagedChannel toB = channel(b.port());

        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        byte[][] payloads = CoordinatorScale.realisticHistograms(64);
        List<Synthetic> synthetic = new ArrayList<>();
        for (int i = 0; i < workers; i++) {
            synthetic.add(new Synthetic(
                    String.format(Locale.ROOT, "synthetic-%04d", i),
                    credentials,
                    timers,
                    ByteString.copyFrom(payloads[i % payloads.length]),
                    toB));
        }
        synthetic.forEach(w -> w.connect(toA));
        Histogram expected = HistogramSpec.newHistogram();
        for (int i = 0; i < workers; i++) {
            expected.add(HistogramCodec.decode(payloads[i % payloads.length]));
        }

        RunPlan plan = RunPlan.newBuilder()
                .setName("coordinator-memory")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:9/")
                        .setMethod("POST"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis((long) intervals * intervalMillis)
                        .setStartRatePerSecond(workers * PER_REPORT * 1000.0 / intervalMillis)
                        .setEndRatePerSecond(workers * PER_REPORT * 1000.0 / intervalMillis))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(workers)
                .setIntervalMillis(intervalMillis)
                .setRequestTimeoutMillis(1000)
                .setConnectTimeoutMillis(1000)
                .setMaxInFlightPerWorker(100)
                .setMaxConnectionsPerWorker(10)
                .build();
        StartRunResponse started = RunControlGrpc.newBlockingStub(toA)
                .withCallCredentials(credentials)
                .withDeadlineAfter(300, TimeUnit.SECONDS)
                .startRun(StartRunRequest.newBuilder()
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1)
                        .setPlan(plan)
                        .setWorkerWaitMillis(240_000)
                        .build());
        String runId = started.getRunId();
        long start = started.getStartUnixNanos();
        long intervalNanos = intervalMillis * 1_000_000L;
        System.out.printf(
                Locale.ROOT,
                "# run %s: %d workers, %d intervals of %d ms, compaction %s, takeover %s%n",
                runId,
                workers,
                intervals,
                intervalMillis,
                compaction ? "on (margin " + RunSettings.DEFAULT_COMPACTION_MARGIN.toMillis() + " ms)" : "off",
                takeover ? takeoverBefore + " intervals before the end" : "none");

        double[] delays = new double[intervals];
        Arrays.fill(delays, Double.NaN);
        long[] takeoverAtIndex = {Long.MAX_VALUE};
        Thread watcher = new Thread(() -> watch(List.of(toA, toB), credentials, runId, start, intervalNanos, delays));
        watcher.setDaemon(true);
        watcher.start();

        // Every worker's report for interval i, 20 ms after it ends, from one thread (as CoordinatorScale's workers).
        Thread reporter = new Thread(() -> {
            for (int i = 0; i < intervals; i++) {
                sleepUntil(start + (i + 1) * intervalNanos + 20_000_000L);
                for (Synthetic w : synthetic) {
                    w.report(runId, i, i == intervals - 1);
                }
            }
        });
        reporter.start();

        List<double[]> samples = new ArrayList<>(); // seconds since start, heap MB, raw, compacted, snapshots
        CoordinatorServer leader = a;
        boolean halted = false;
        long nextSample = System.nanoTime() + sampleSeconds * 1_000_000_000L;
        while (reporter.isAlive() || watcher.isAlive()) {
            long index = (unixNanos() - start) / intervalNanos;
            if (takeover && !halted && index >= intervals - takeoverBefore) {
                takeoverAtIndex[0] = index;
                System.out.printf(Locale.ROOT, "# halting the leader at interval %d%n", index);
                a.halt();
                leader = b;
                halted = true;
            }
            if (System.nanoTime() >= nextSample && !(halted && !leader.cluster().isLeader())) {
                nextSample += sampleSeconds * 1_000_000_000L;
                samples.add(sample(leader.cluster(), runId, start, intervalNanos));
            }
            reporter.join(50);
            if (!reporter.isAlive()) {
                watcher.join(50);
            }
        }
        samples.add(sample(leader.cluster(), runId, start, intervalNanos));

        double[] measured = new double[intervals];
        int n = 0;
        for (int i = WARMUP_INTERVALS; i < intervals && i < takeoverAtIndex[0]; i++) {
            if (!Double.isNaN(delays[i])) {
                measured[n++] = delays[i];
            }
        }
        double[] d = Arrays.copyOf(measured, n);
        Arrays.sort(d);
        double[] heapSlope = slope(samples, 1, 60);
        double[] rawSlope = slope(samples, 2, 60);
        double[] entrySlope = slope(samples, 5, 60);
        System.out.printf(
                Locale.ROOT,
                "delay_intervals=%d delay_p50_ms=%.1f delay_p99_ms=%.1f delay_max_ms=%.1f "
                        + "heap_slope_mb_per_min=%.2f raw_slope_per_min=%.0f entries_slope_per_min=%.0f "
                        + "final_heap_mb=%.0f final_raw=%.0f final_compacted=%.0f final_snapshots=%.0f%n",
                d.length,
                nearestRank(d, 50),
                nearestRank(d, 99),
                d.length == 0 ? 0 : d[d.length - 1],
                heapSlope[0] * 60,
                rawSlope[0] * 60,
                entrySlope[0] * 60,
                samples.get(samples.size() - 1)[1],
                samples.get(samples.size() - 1)[2],
                samples.get(samples.size() - 1)[3],
                samples.get(samples.size() - 1)[4]);

        RunResult result = RunControlGrpc.newBlockingStub(halted ? toB : toA)
                .withCallCredentials(credentials)
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .getRunResult(GetRunResultRequest.newBuilder().setRunId(runId).build());
        System.out.println(check(result, workers, intervals, expected));

        synthetic.forEach(Synthetic::close);
        timers.shutdownNow();
        toA.shutdownNow();
        toB.shutdownNow();
        if (!halted) {
            a.close();
        }
        b.close();
        System.exit(0);
    }

    /** Every interval once, with every worker, exactly what was sent; nothing rejected. */
    static String check(RunResult result, int workers, int intervals, Histogram expected) throws Exception {
        List<String> problems = new ArrayList<>();
        int withData = 0;
        long sent = 0;
        for (MergedInterval m : result.getIntervalsList()) {
            if (m.getWorkersReported() == 0) {
                continue;
            }
            withData++;
            sent += m.getSent();
            if (m.getWorkersReported() != workers || m.getSent() != (long) workers * PER_REPORT) {
                problems.add("interval " + m.getIntervalIndex() + ": " + m.getWorkersReported() + " workers, sent "
                        + m.getSent());
            } else if (m.getOutcomesCount() != 1
                    || !HistogramCodec.decode(m.getOutcomes(0).getLatencyMicros())
                            .equals(expected)) {
                problems.add("interval " + m.getIntervalIndex() + ": latency histogram differs from what was sent");
            }
        }
        if (withData != intervals) {
            problems.add(withData + " intervals with data, " + intervals + " expected");
        }
        if (result.getRejectedReports() != 0) {
            problems.add(result.getRejectedReports() + " rejected: " + result.getMessage());
        }
        return String.format(
                Locale.ROOT,
                "result state=%s intervals=%d sent=%d expected_sent=%d takeovers=%d rejected=%d exact=%s%s",
                result.getState(),
                withData,
                sent,
                (long) workers * PER_REPORT * intervals,
                result.getTakeoversCount(),
                result.getRejectedReports(),
                problems.isEmpty(),
                problems.isEmpty() ? "" : " problems=" + problems.subList(0, Math.min(5, problems.size())));
    }

    static final int GC_ATTEMPTS = 3;

    /**
     * Forces a GC, then: seconds since start, heap used (MB), raw reports, compacted intervals, snapshots, all. The JVM
     * may skip a requested collection (seen as samples with gc_ms 0-2): it is asked up to {@value #GC_ATTEMPTS} times,
     * and a sample that got none has no heap figure (NaN; printed with {@code gc=skipped}, left out of the slope).
     */
    static double[] sample(CoordinatorCluster cluster, String runId, long start, long intervalNanos) {
        long gcStart = System.nanoTime();
        boolean collected = false;
        for (int attempt = 0; attempt < GC_ATTEMPTS && !collected; attempt++) {
            long before = collections();
            System.gc();
            collected = collections() > before;
        }
        long gcMillis = (System.nanoTime() - gcStart) / 1_000_000;
        double heapMb = collected
                ? ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0
                : Double.NaN;
        int raw = cluster.reports(runId).size();
        int compacted = cluster.compacted(runId).size();
        int snapshots = cluster.snapshots(runId).size();
        double seconds = (unixNanos() - start) / 1e9;
        long interval = (unixNanos() - start) / intervalNanos;
        // What one interval costs: a compacted entry 200 intervals old (sealed and, past the re-send horizon, on each
        // coordinator's disk) and a recent live snapshot (in the maps, twice with the backup, until it is spilled).
        byte[] oldestEntry = cluster.runStore(runId).compactedInterval(Math.max(0, interval - 200));
        byte[] snapshot = cluster.snapshots(runId).get(Math.max(0, interval - 8));
        long spilledBytes = cluster.spill().bytesOnDisk();
        System.out.printf(
                Locale.ROOT,
                "sample t_s=%.0f interval=%d heap_after_gc_mb=%.1f raw_reports=%d compacted=%d snapshots=%d "
                        + "gc_ms=%d gc=%s old_entry_bytes=%d snapshot_bytes=%d spilled_mb_per_member=%.1f%n",
                seconds,
                interval,
                heapMb,
                raw,
                compacted,
                snapshots,
                gcMillis,
                collected ? "collected" : "skipped",
                oldestEntry == null ? 0 : oldestEntry.length,
                snapshot == null ? 0 : snapshot.length,
                spilledBytes / 1048576.0);
        return new double[] {seconds, heapMb, raw, compacted, snapshots, raw + compacted + snapshots};
    }

    /** Collections run so far by all of the JVM's collectors. */
    private static long collections() {
        long total = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, collector.getCollectionCount());
        }
        return total;
    }

    /**
     * Least-squares slope (per second) of column {@code column} over the samples taken after {@code fromSeconds}, leaving
     * out samples without a value (NaN).
     */
    static double[] slope(List<double[]> samples, int column, double fromSeconds) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (double[] s : samples) {
            if (s[0] < fromSeconds || Double.isNaN(s[column])) {
                continue;
            }
            n++;
            sx += s[0];
            sy += s[column];
            sxx += s[0] * s[0];
            sxy += s[0] * s[column];
        }
        double denominator = n * sxx - sx * sx;
        return new double[] {n < 2 || denominator == 0 ? Double.NaN : (n * sxy - sx * sy) / denominator};
    }

    /** Follows the live view, on the next coordinator when one goes; records each interval's delay once. */
    static void watch(
            List<ManagedChannel> channels,
            BearerTokenCredentials credentials,
            String runId,
            long start,
            long intervalNanos,
            double[] delays) {
        for (ManagedChannel channel : channels) {
            try {
                Iterator<LiveSnapshot> watch = RunControlGrpc.newBlockingStub(channel)
                        .withCallCredentials(credentials)
                        .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
                while (watch.hasNext()) {
                    LiveSnapshot s = watch.next();
                    long now = unixNanos();
                    if (s.getState() != RunState.RUN_STATE_RUNNING) {
                        if (Run.terminal(s.getState())) {
                            return;
                        }
                        continue;
                    }
                    int index = (int) s.getIntervalIndex();
                    if (index < delays.length && Double.isNaN(delays[index])) {
                        delays[index] = (now - (start + (index + 1) * intervalNanos)) / 1e6;
                    }
                }
                return;
            } catch (StatusRuntimeException e) {
                // The coordinator went away: the next one serves the same live view.
            }
        }
    }

    /** Run states that end a watch. */
    static final class Run {
        private Run() {}

        static boolean terminal(RunState state) {
            return state == RunState.RUN_STATE_COMPLETED
                    || state == RunState.RUN_STATE_STOPPED
                    || state == RunState.RUN_STATE_FAILED;
        }
    }

    static CoordinatorServer coordinator(RunSettings settings, ClusterToken token, ClusterSettings cluster)
            throws IOException {
        return CoordinatorServer.start(
                NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                        .maxInboundMessageSize(8 << 20),
                WallClock.system(),
                settings,
                token,
                cluster);
    }

    static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void sleepUntil(long unixNanos) {
        long wait = unixNanos - unixNanos();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static long unixNanos() {
        return SyntheticMessages.unixNanos();
    }

    /**
     * A worker reduced to its link: hello, clock probe replies, heartbeats while idle, reports; on a broken stream it
     * reconnects to the other coordinator and re-sends its last {@value #RESENT_MESSAGES} messages after the Welcome.
     */
    static final class Synthetic {
        final String id;
        final BearerTokenCredentials credentials;
        final ScheduledExecutorService timers;
        final ByteString histogram;
        final ManagedChannel fallback;
        final ArrayDeque<WorkerMessage> recent = new ArrayDeque<>();
        final List<WorkerMessage> whileDisconnected = new ArrayList<>();
        final CountDownLatch assigned = new CountDownLatch(1);
        StreamObserver<WorkerMessage> out;
        boolean connected;
        boolean reconnected;
        boolean closed;
        volatile long lastSentNanos = System.nanoTime();

        Synthetic(
                String id,
                BearerTokenCredentials credentials,
                ScheduledExecutorService timers,
                ByteString histogram,
                ManagedChannel fallback) {
            this.id = id;
            this.credentials = credentials;
            this.timers = timers;
            this.histogram = histogram;
            this.fallback = fallback;
            ScheduledFuture<?> unused = timers.scheduleAtFixedRate(
                    () -> {
                        if (System.nanoTime() - lastSentNanos >= TimeUnit.SECONDS.toNanos(1)) {
                            send(SyntheticMessages.heartbeat());
                        }
                    },
                    1000,
                    1000,
                    TimeUnit.MILLISECONDS);
        }

        synchronized void connect(ManagedChannel channel) {
            if (closed) {
                return;
            }
            out = WorkerLinkGrpc.newStub(channel)
                    .withCallCredentials(credentials)
                    .connect(new StreamObserver<>() {
                        @Override
                        public void onNext(CoordinatorMessage m) {
                            if (m.hasClockProbe()) {
                                send(SyntheticMessages.clockProbeReply(m.getClockProbe()));
                            } else if (m.hasWelcome()) {
                                welcomed();
                            } else if (m.hasAssignment()) {
                                assigned.countDown();
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            lost(channel);
                        }

                        @Override
                        public void onCompleted() {
                            lost(channel);
                        }
                    });
            connected = true;
            out.onNext(SyntheticMessages.hello(id));
        }

        private synchronized void lost(ManagedChannel channel) {
            if (closed || channel == fallback) {
                connected = false;
                return;
            }
            connected = false;
            reconnected = true;
            ScheduledFuture<?> unused = timers.schedule(() -> connect(fallback), 100, TimeUnit.MILLISECONDS);
        }

        /** After a reconnect: what the old coordinator may not have kept, then what waited meanwhile. */
        private synchronized void welcomed() {
            if (!reconnected) {
                return;
            }
            for (WorkerMessage m : recent) {
                out.onNext(m);
            }
            for (WorkerMessage m : whileDisconnected) {
                out.onNext(m);
                remember(m);
            }
            whileDisconnected.clear();
        }

        void report(String runId, long index, boolean last) {
            sendReport(SyntheticMessages.report(runId, id, 1, index, histogram, PER_REPORT));
            if (last) {
                sendReport(SyntheticMessages.finished(runId, index, PER_REPORT));
            }
        }

        private synchronized void sendReport(WorkerMessage m) {
            if (!connected) {
                whileDisconnected.add(m);
                return;
            }
            out.onNext(m);
            lastSentNanos = System.nanoTime();
            remember(m);
        }

        private void remember(WorkerMessage m) {
            recent.addLast(m);
            while (recent.size() > RESENT_MESSAGES) {
                recent.removeFirst();
            }
        }

        synchronized void send(WorkerMessage m) {
            if (connected && !closed) {
                out.onNext(m);
                lastSentNanos = System.nanoTime();
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                if (connected) {
                    out.onCompleted();
                }
            }
        }
    }
}
