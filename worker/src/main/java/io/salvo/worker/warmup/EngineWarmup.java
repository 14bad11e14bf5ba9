package io.salvo.worker.warmup;

import com.google.protobuf.ByteString;
import io.salvo.core.rate.RateProfile;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.worker.engine.EngineSettings;
import io.salvo.worker.engine.LoadEngine;
import io.salvo.worker.recording.IntervalRecorder;
import io.salvo.worker.schedule.ConstantSliceSchedule;
import io.salvo.worker.schedule.SliceSegment;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the worker's whole request path — scheduler, lanes, HTTP client, recording, histogram
 * encoding — against a throw-away HTTP server on loopback inside this process, before the worker
 * offers itself to a coordinator.
 *
 * <p>Why: a cold JVM interprets and compiles that path during the first second of a run, which
 * shows up as hundreds of milliseconds of scheduler lag exactly when a cold-start benchmark measures
 * time to first response. Warming against the real target is not an option: it would warm the very
 * thing being measured. This never sends a byte beyond 127.0.0.1.
 */
public final class EngineWarmup {

    private static final Logger LOG = Logger.getLogger(EngineWarmup.class.getName());
    private static final Buffer RESPONSE = Buffer.buffer("{\"outputs\":[]}");

    private EngineWarmup() {}

    /** Drives {@code requests} requests over {@code lanes} lanes at a few thousand per second. */
    public static void run(Vertx vertx, int lanes, int requests) {
        long began = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
        HttpServer server = null;
        try {
            server = vertx.createHttpServer(
                            new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(request -> request.end().onComplete(ignored -> {
                        long n = sequence.getAndIncrement();
                        var response = request.response()
                                // The model server's headers, so the instance-first-response path is warm too.
                                .putHeader("Salvo-Instance-Id", "warmup-" + (n / 500))
                                .putHeader("Salvo-Instance-Request-Seq", Long.toString(n % 500 + 1))
                                .putHeader("Salvo-Model-Load-Ms", "1")
                                .putHeader("content-type", "application/json");
                        if (n % 2 == 0) {
                            // Every run starts with no connections and opens them in a burst; a connect path
                            // the JIT never saw runs interpreted then, stalling the run's first tens of ms.
                            response.putHeader("Connection", "close");
                        }
                        response.end(RESPONSE);
                    }));
            server.listen().await(10, TimeUnit.SECONDS);
            double rate = 3000;
            long durationMillis = (long) Math.ceil(requests * 1000.0 / rate);
            RunPlan plan = RunPlan.newBuilder()
                    .setRequest(RequestTemplate.newBuilder()
                            .setUrl("http://127.0.0.1:" + server.actualPort() + "/v2/models/warmup/infer")
                            .setMethod("POST")
                            .addHeaders(
                                    Header.newBuilder().setName("Content-Type").setValue("application/json"))
                            .addBodies(ByteString.copyFromUtf8("{\"inputs\":[\"warm up\"]}")))
                    .addPhases(Phase.newBuilder()
                            .setDurationMillis(durationMillis)
                            .setStartRatePerSecond(rate)
                            .setEndRatePerSecond(rate))
                    .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                    .setIntervalMillis(250)
                    .setRequestTimeoutMillis(5000)
                    .setConnectTimeoutMillis(2000)
                    .setMaxInFlightPerWorker(64)
                    .setMaxConnectionsPerWorker(16)
                    .addCaptureResponseHeaders("Salvo-Instance-Id")
                    .build();
            EngineSettings settings = EngineSettings.of(plan);
            RateProfile profile = RateProfile.of(plan.getPhasesList());
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            IntervalRecorder recorder = new IntervalRecorder(
                    start,
                    settings.intervalNanos(),
                    settings.lateSendThresholdNanos(),
                    List.of("Salvo-Instance-Id"),
                    System::nanoTime);
            LoadEngine engine = LoadEngine.start(
                    vertx,
                    plan.getRequest(),
                    settings,
                    ConstantSliceSchedule.fromStart(profile, SliceSegment.whole()),
                    start,
                    recorder,
                    lanes);
            // Encoded the way reports go on the wire, so that path is compiled too; the size is only logged.
            long encodedBytes = 0;
            try {
                long index = 0;
                while (!engine.finished().isDone()) {
                    long wait = recorder.intervalEndNanos(index) - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    encodedBytes += recorder.harvest(index++).toByteArray().length;
                    if (System.nanoTime() - began > TimeUnit.SECONDS.toNanos(15)) {
                        break;
                    }
                }
                encodedBytes += recorder.harvest(index).toByteArray().length;
            } finally {
                engine.close();
            }
            LOG.log(
                    Level.INFO,
                    "engine warmed up with {0} loopback requests in {1} ms ({2} bytes of reports)",
                    new Object[] {
                        engine.dispatched(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), encodedBytes
                    });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Warm-up only saves time; a worker that could not warm up still works.
            LOG.log(Level.WARNING, "engine warm-up skipped: " + e);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
