package io.salvo.benchmark;

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
    RunResult run(RunPlan plan, Consumer<LiveSnapshot> live) throws BenchmarkException;

    /**
     * As {@link #run(RunPlan, Consumer)} with {@code headers.plan()}, whose request headers the platform renews while
     * the run goes on: once the run has an id, {@code headers} is told to follow it and push each renewal to the
     * coordinator. The default ignores renewals, which only suits runners whose runs end before the first headers
     * expire (test doubles).
     */
    default RunResult run(PlatformHeaders headers, Consumer<LiveSnapshot> live) throws BenchmarkException {
        return run(headers.plan(), live);
    }
}
