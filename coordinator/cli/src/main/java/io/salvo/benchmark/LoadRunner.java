package io.salvo.benchmark;

import io.salvo.platform.PlatformDriver;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.RunResult;
import java.util.function.Consumer;

/**
 * Runs one plan on a Salvo cluster (coordinator plus workers) and returns its merged result. The benchmark
 * depends on this seam, not on how the cluster was started, so the same orchestration runs on an embedded
 * cluster ({@code salvo demo}) or an existing one.
 */
public interface LoadRunner {

    /**
     * Starts the plan, passes every live snapshot to {@code live} as the coordinator emits it, and returns the
     * run's merged result once the run has ended.
     *
     * @throws BenchmarkException when the coordinator refuses the plan or is lost
     */
    default RunResult run(RunPlan plan, Consumer<LiveSnapshot> live) throws BenchmarkException {
        return run(plan, live, null, null, false);
    }

    /**
     * As {@link #run(RunPlan, Consumer)} with {@code headers.plan()}, whose request headers the platform renews while
     * the run goes on: once the run has an id, {@code headers} is told to follow it and push each renewal to the
     * coordinator.
     */
    default RunResult run(PlatformHeaders headers, Consumer<LiveSnapshot> live) throws BenchmarkException {
        return run(headers.plan(), live, headers, null, false);
    }

    /**
     * Runs {@code plan} with, optionally, the platform's renewed request headers ({@code headers}, null: none; as
     * {@link #run(PlatformHeaders, Consumer)}) and a platform driver taking part ({@code platform}, null: none): when
     * {@code loadStarting}, its {@link PlatformDriver#loadStarting()} (the explicit scale-up of a cold start) once the
     * run has started, before its first request is due; and its counts and events reported into the run's live feed at
     * the start and after each snapshot ({@link PlatformLiveFeed}).
     *
     * @throws BenchmarkException also when the platform's scale-up at load start fails (the run is stopped)
     */
    RunResult run(
            RunPlan plan,
            Consumer<LiveSnapshot> live,
            PlatformHeaders headers,
            PlatformDriver platform,
            boolean loadStarting)
            throws BenchmarkException;
}
