package io.salvo.testkit;

import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;

/**
 * Run plans for tests, as builders: start from one that every check accepts and change what the test
 * is about. Tests that exercise the YAML parser write YAML instead.
 */
public final class TestPlans {

    /** Nothing listens here: a plan whose requests must never succeed, or are never sent. */
    public static final String UNREACHABLE_URL = "http://127.0.0.1:1/";

    private TestPlans() {}

    /**
     * One worker sending GET requests to {@link #UNREACHABLE_URL} at a constant 10 per second for one second;
     * 1 s intervals and timeouts, at most 10 requests in flight and 10 connections per worker.
     */
    public static RunPlan.Builder valid() {
        return constantRate(10, 1_000, 1);
    }

    /** {@link #valid()} with {@code workers} workers sending {@code perSecond} in all for {@code durationMillis}. */
    public static RunPlan.Builder constantRate(double perSecond, long durationMillis, int workers) {
        return RunPlan.newBuilder()
                .setName("test")
                .setRequest(RequestTemplate.newBuilder().setUrl(UNREACHABLE_URL).setMethod("GET"))
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(durationMillis)
                        .setStartRatePerSecond(perSecond)
                        .setEndRatePerSecond(perSecond))
                .setArrival(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT)
                .setWorkerCount(workers)
                .setIntervalMillis(1_000)
                .setRequestTimeoutMillis(1_000)
                .setConnectTimeoutMillis(1_000)
                .setMaxInFlightPerWorker(10)
                .setMaxConnectionsPerWorker(10);
    }
}
