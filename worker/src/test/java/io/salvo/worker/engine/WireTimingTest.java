package io.salvo.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.salvo.core.histogram.HistogramSpec;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.worker.http.TestCertificate;
import io.salvo.worker.recording.IntervalRecorder;
import io.salvo.worker.schedule.ConstantSliceSchedule;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntToLongFunction;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every instant of a request is what its name says: a target that stalls one request behind a single
 * connection makes the requests due during the stall wait for the connection, and that wait shows as
 * connection wait and latency, not as service time. The expected distributions come from a discrete-event
 * simulation of one FIFO connection fed by the schedule and the script's delays; tolerances are sized for a
 * loaded 2-core machine (the client, the target and the build share it).
 */
class WireTimingTest {

    /**
     * 20 requests/s for 4 s: one every 50 ms, 80 in all. Few enough queue behind the stall (16) that the
     * client's and the target's own overhead per request, which the simulation leaves out, adds up to less than
     * the tolerance while they drain; the stall is long enough to stand far above the tolerance.
     */
    private static final double RATE = 20;

    private static final long DURATION_MILLIS = 4_000;
    private static final int REQUESTS = 80;
    /** Every request is answered after 2 ms, but request 20 (due at 1 s) only after 800 ms. */
    private static final long DELAY_MICROS = 2_000;

    private static final int STALLED = 20;
    private static final long STALL_MICROS = 800_000;

    private static Vertx vertx;

    @BeforeAll
    static void startVertx() {
        vertx = EngineVertx.create(2);
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static long scriptedDelayMicros(int request) {
        return request == STALLED ? STALL_MICROS : DELAY_MICROS;
    }

    @Test
    void aStallBehindOneConnectionIsConnectionWaitAndLatencyNotServiceTime() throws Exception {
        try (ScriptedTarget target = new ScriptedTarget(null, WireTimingTest::scriptedDelayMicros)) {
            String url = "http://127.0.0.1:" + target.port() + "/v2/models/m/infer";
            // A cold engine (JIT, first connections) lags by tens of milliseconds on a loaded machine; the
            // simulation assumes sends on time, so warm up on a run of its own first.
            run(plan(url).build(), 50, 1_000);
            target.restartCount();
            LoadEngineTest.Totals totals = run(plan(url).build(), RATE, DURATION_MILLIS);

            assertThat(totals.connect.getTotalCount()).as("connections made").isEqualTo(1);
            assertThat(totals.tlsHandshake.getTotalCount())
                    .as("handshakes of plain HTTP")
                    .isZero();
            assertMatchesSimulation(totals, totals.connect.getMaxValue());
            assertThat(target.requests()).isEqualTo(REQUESTS);
        }
    }

    @Test
    void overTlsTheHandshakeIsItsOwnPhaseAndPartOfTheFirstRequestsConnectionWait(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        try (ScriptedTarget target = new ScriptedTarget(certificate, WireTimingTest::scriptedDelayMicros)) {
            RunPlan.Builder plan = plan("https://localhost:" + target.port() + "/v2/models/m/infer");
            plan.getRequestBuilder()
                    .setTrustedCaCertificatesPem(ByteString.copyFrom(Files.readAllBytes(certificate.certificatePem())));
            // A cold JVM's first TLS handshakes and records take seconds on a loaded machine, enough to queue
            // the whole run behind them; warm both sides up on a run of their own first.
            run(plan.build(), 50, 1_000);
            target.restartCount();
            LoadEngineTest.Totals totals = run(plan.build(), RATE, DURATION_MILLIS);

            assertThat(totals.connect.getTotalCount()).as("connections made").isEqualTo(1);
            assertThat(totals.tlsHandshake.getTotalCount()).as("handshakes").isEqualTo(1);
            long handshake = totals.tlsHandshake.getMaxValue();
            // A handshake is at least one loopback round trip plus the server's key exchange: never 0 µs.
            assertThat(handshake).as("handshake, µs").isPositive();
            // The first request waits for the connect and the handshake before it can be written.
            assertMatchesSimulation(totals, totals.connect.getMaxValue() + handshake);
            assertThat(target.requests()).isEqualTo(REQUESTS);
        }
    }

    @Test
    void aRequestThatTimesOutUnwrittenIsUnsentNotATargetTimeout() throws Exception {
        // A target that never answers, behind one connection: the written request times out (the target's
        // timeout) and its connection is closed; requests queued behind it that wait past the timeout are
        // abandoned unwritten; a new connection carries the next one still within its time.
        try (ScriptedTarget target = new ScriptedTarget(null, request -> -1)) {
            String url = "http://127.0.0.1:" + target.port() + "/";
            LoadEngineTest.Totals totals =
                    run(plan(url).setRequestTimeoutMillis(270).build(), 10, 1_000);

            assertThat(totals.intended).isEqualTo(10);
            assertThat(totals.sent)
                    .as("sent counts exactly the requests that reached the target")
                    .isEqualTo(target.requests())
                    .isPositive();
            assertThat(totals.unsentConnectionWait)
                    .as("abandoned while waiting for the connection")
                    .isEqualTo(totals.intended - totals.sent)
                    .isEqualTo(totals.unsent)
                    .isPositive();
            assertThat(totals.unsentConnectFailed).isZero();
            assertThat(totals.count(OutcomeClass.OUTCOME_CLASS_TIMEOUT))
                    .as("every request is a timeout: the written ones the target's, the others unsent")
                    .isEqualTo(totals.intended);
            // Only written requests have a service time, and each ran for the whole timeout from its write.
            Histogram service = totals.serviceTime.get(OutcomeClass.OUTCOME_CLASS_TIMEOUT);
            assertThat(service.getTotalCount()).isEqualTo(totals.sent);
            assertThat(service.getMinValue()).isGreaterThanOrEqualTo(270_000L);
            assertThat(totals.connectionWait.getTotalCount()).isEqualTo(totals.sent);
            assertThat(totals.timeToFirstByte.getTotalCount())
                    .as("no byte ever came back")
                    .isZero();
        }
    }

    /**
     * Compares the run with the simulation of one FIFO connection that becomes usable {@code setupMicros}
     * after the first dispatch: request k is written at max(its intended instant, the previous completion)
     * and completes its scripted delay later.
     */
    private static void assertMatchesSimulation(LoadEngineTest.Totals totals, long setupMicros) {
        Histogram latency = HistogramSpec.newHistogram();
        Histogram wait = HistogramSpec.newHistogram();
        Histogram service = HistogramSpec.newHistogram();
        long waits = 0;
        long free = setupMicros; // the connection is ready this long after request 0's intended instant
        for (int k = 0; k < REQUESTS; k++) {
            long intended = Math.round(k * 1e6 / RATE);
            long write = Math.max(intended, free);
            long completion = write + scriptedDelayMicros(k);
            free = completion;
            latency.recordValue(completion - intended);
            wait.recordValue(write - intended);
            service.recordValue(completion - write);
            if (write > intended) {
                waits++;
            }
        }
        Histogram actualLatency = totals.latencyOf(OutcomeClass.OUTCOME_CLASS_2XX);
        Histogram actualService = totals.serviceTime.get(OutcomeClass.OUTCOME_CLASS_2XX);
        assertThat(actualLatency.getTotalCount()).isEqualTo(REQUESTS);
        assertThat(totals.sent).isEqualTo(REQUESTS);
        assertThat(totals.connectionWait.getTotalCount()).isEqualTo(REQUESTS);
        assertThat(totals.timeToFirstByte.getTotalCount()).isEqualTo(REQUESTS);
        // Percentiles inside one regime: the bulk answered at once, or the requests queued behind the stall counted
        // from the top (ranks from the top do not move when a slow drain queues a few more at the bottom). A
        // percentile at the border of the two (p75 here) jumps by hundreds of ms for one request more or less.
        for (double p : new double[] {50, 90, 95, 99, 100}) {
            // The simulation sends on time; the run's own lateness, measured as scheduler lag, adds to latency.
            assertClose(
                    "latency p" + p,
                    actualLatency.getValueAtPercentile(p),
                    latency.getValueAtPercentile(p),
                    totals.schedulerLag.getValueAtPercentile(p));
            assertClose(
                    "connection wait p" + p,
                    totals.connectionWait.getValueAtPercentile(p),
                    wait.getValueAtPercentile(p),
                    0);
            assertClose(
                    "service time p" + p, actualService.getValueAtPercentile(p), service.getValueAtPercentile(p), 0);
        }
        // At least the requests queued behind the stall waited (the last few of them by less than the client's own
        // overhead, hence the slack); on a loaded machine a slow answer elsewhere can make a few more wait, but
        // most requests found the connection idle.
        assertThat(totals.connectionWaits)
                .as("requests that waited for the connection (simulated %d)", waits)
                .isBetween(waits - 4, REQUESTS - (REQUESTS - waits) / 2);
        // What the issue is about: service time is the target's time, the client's queueing is not in it.
        assertThat(actualService.getValueAtPercentile(95))
                .as("service time p95, µs")
                .isLessThan(100_000L);
        assertThat(actualService.getCountBetweenValues(500_000, HistogramSpec.HIGHEST_MICROS))
                .as("service times over 500 ms: the stalled request alone")
                .isEqualTo(1);
        assertThat(actualLatency.getValueAtPercentile(95)).as("latency p95, µs").isGreaterThan(300_000L);
        // The target answers no earlier than its script: the first byte follows the write by at least the delay.
        assertThat(totals.timeToFirstByte.getMinValue()).isGreaterThanOrEqualTo(DELAY_MICROS - 1);
        assertThat(totals.timeToFirstByte.getMaxValue()).isGreaterThanOrEqualTo(STALL_MICROS - 1_000);
    }

    /**
     * Within 100 ms plus 10 % (plus {@code lateMicros} above): several milliseconds of the client's and the
     * target's overhead per request (thread wake-ups, loopback, TLS records) on a loaded machine, summed over the
     * requests that drain behind the stall.
     */
    private static void assertClose(String what, long actualMicros, long expectedMicros, long lateMicros) {
        long tolerance = 100_000 + expectedMicros / 10;
        assertThat(actualMicros)
                .as("%s, µs (simulated %d, late by up to %d)", what, expectedMicros, lateMicros)
                .isBetween(expectedMicros - tolerance, expectedMicros + tolerance + lateMicros);
    }

    private static RunPlan.Builder plan(String url) {
        return RunPlan.newBuilder()
                .setRequest(RequestTemplate.newBuilder().setUrl(url).setMethod("GET"))
                .setRequestTimeoutMillis(5_000)
                .setMaxInFlightPerWorker(500)
                .setMaxConnectionsPerWorker(1);
    }

    private static LoadEngineTest.Totals run(RunPlan plan, double rate, long durationMillis) throws Exception {
        EngineSettings settings = EngineSettings.of(plan);
        long start = System.nanoTime() + 50_000_000L;
        IntervalRecorder recorder = new IntervalRecorder(
                start,
                settings.intervalNanos(),
                settings.lateSendThresholdNanos(),
                settings.capturedHeaders(),
                System::nanoTime);
        LoadEngine engine = LoadEngine.start(
                vertx,
                plan.getRequest(),
                settings,
                ConstantSliceSchedule.fromStart(RateProfile.constant(rate, durationMillis), SliceSegment.whole()),
                start,
                recorder,
                2);
        try {
            engine.finished()
                    .get(durationMillis + settings.requestTimeoutNanos() / 1_000_000 + 10_000, TimeUnit.MILLISECONDS);
        } finally {
            engine.close();
        }
        LoadEngineTest.Totals totals = new LoadEngineTest.Totals();
        long last = recorder.intervalIndexAt(System.nanoTime());
        for (long i = 0; i <= last; i++) {
            totals.add(recorder.harvest(i));
        }
        assertThat(totals.intended).as("intended == sent + unsent").isEqualTo(totals.sent + totals.unsent);
        assertThat(totals.completed).as("every intended request has an outcome").isEqualTo(totals.intended);
        return totals;
    }

    /**
     * A loopback HTTP/1.1 target on plain sockets (TLS when given a certificate) that answers request n, counted
     * over all connections in arrival order, after the script's delay for n (µs; negative: never).
     */
    private static final class ScriptedTarget implements AutoCloseable {
        private final ServerSocket server;
        private final IntToLongFunction delayMicros;
        private final AtomicInteger requests = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        ScriptedTarget(TestCertificate certificate, IntToLongFunction delayMicros) throws Exception {
            this.delayMicros = delayMicros;
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            if (certificate == null) {
                server = new ServerSocket(0, 50, loopback);
            } else {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(certificate.keyStore())) {
                    keys.load(in, certificate.password().toCharArray());
                }
                KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyManagers.init(keys, certificate.password().toCharArray());
                SSLContext tls = SSLContext.getInstance("TLS");
                tls.init(keyManagers.getKeyManagers(), null, null);
                server = tls.getServerSocketFactory().createServerSocket(0, 50, loopback);
            }
            Thread acceptor = new Thread(this::accept, "scripted-target");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int requests() {
            return requests.get();
        }

        /** Starts the script over: the next request is request 0 again. */
        void restartCount() {
            requests.set(0);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    sockets.add(socket);
                    Thread handler = new Thread(() -> serve(socket), "scripted-target-connection");
                    handler.setDaemon(true);
                    handler.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            byte[] answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
            try (socket) {
                socket.setTcpNoDelay(true);
                InputStream in = socket.getInputStream();
                OutputStream out = socket.getOutputStream();
                while (readHead(in)) {
                    long delay = delayMicros.applyAsLong(requests.getAndIncrement());
                    if (delay < 0) {
                        continue; // never answered; the client gives up and closes the connection
                    }
                    long until = System.nanoTime() + delay * 1_000;
                    for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                        TimeUnit.NANOSECONDS.sleep(left);
                    }
                    out.write(answer);
                    out.flush();
                }
            } catch (Exception e) {
                // the client closed the connection, or the test closed the target
            }
        }

        private static boolean readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return false;
                }
                head.write(b);
                matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1)
                        ? matched + 1
                        : (b == '\r' ? 1 : 0);
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
