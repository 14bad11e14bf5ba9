package io.salvo.benchmark;

import io.salvo.plan.MatrixCell;
import io.salvo.plan.MatrixSpec;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.local.LocalPlatformDriver;
import io.salvo.platform.local.LocalProfile;
import io.salvo.platform.local.ScalingSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which models run on which local profiles, at which rates and for how long.
 *
 * @param models           models with their load, in table order
 * @param profiles         local emulation profiles, in table order
 * @param warmDuration     length of each warm-latency run
 * @param maxInstances     cap on instances per deployment, so emulated instances never want more CPUs than the
 *                         machine has (a cloud gives every instance its own)
 * @param leftOut          what this selection omits compared with the full benchmark; empty for the full one
 */
public record BenchmarkSettings(
        List<ModelLoad> models, List<LocalProfile> profiles, Duration warmDuration, int maxInstances, String leftOut) {

    /**
     * One model's load.
     *
     * @param model         model-server model name
     * @param ratePerSecond constant arrival rate of every experiment of this model; chosen so one instance
     *                      (1 inference thread) stays below half busy on a 2-core machine
     * @param coldDuration  length of the run from zero instances (time to first response and to steady state)
     * @param memoryMb      memory limit per instance (the model file plus runtime headroom)
     */
    public record ModelLoad(String model, double ratePerSecond, Duration coldDuration, int memoryMb) {}

    /**
     * The full local benchmark. Rates follow measured single-thread inference cost on a 2-core machine:
     * minilm ~7-10 ms, distilbert-shape ~40 ms, bert-base-shape ~85-100 ms per short sentence.
     */
    public static BenchmarkSettings full() {
        return new BenchmarkSettings(
                List.of(
                        new ModelLoad("minilm", 30, Duration.ofSeconds(20), 768),
                        new ModelLoad("distilbert-shape", 8, Duration.ofSeconds(25), 1024),
                        new ModelLoad("bert-base-shape", 4, Duration.ofSeconds(30), 1536)),
                List.of(LocalProfile.LAMBDA_LIKE, LocalProfile.CLOUD_RUN_LIKE, LocalProfile.K8S_LIKE),
                Duration.ofSeconds(10),
                machineInstanceCap(),
                "");
    }

    /** A smoke run of the same pipeline in under two minutes: two small models, two profiles, short runs. */
    public static BenchmarkSettings quick() {
        return new BenchmarkSettings(
                List.of(
                        // 12 s from zero: requests held past the schedule's end are answered and counted before the
                        // run completes, so the first response and every instance are seen even in less; 12 s leaves
                        // a steady-state window (5 intervals) after the slowest cold start here (~5 s), where 8 s
                        // ended every cold run "not reached"
                        new ModelLoad("tiny-bert-shape", 40, Duration.ofSeconds(12), 512),
                        new ModelLoad("minilm", 20, Duration.ofSeconds(12), 768)),
                List.of(LocalProfile.LAMBDA_LIKE, LocalProfile.CLOUD_RUN_LIKE),
                Duration.ofSeconds(5),
                machineInstanceCap(),
                "quick mode leaves out distilbert-shape, bert-base-shape and the k8s-like profile, and runs 12 s cold"
                        + " and 5 s warm experiments (full: 20-30 s and 10 s); run 'salvo demo' for all of it");
    }

    /**
     * This selection as an experiment matrix on the local platform: one cell per model and profile, each instance
     * with one CPU and the model's memory, instances capped at the machine's cores.
     *
     * @param modelDir null for the model-server's default cache
     */
    public MatrixSpec toMatrix(String name, Path modelServerJar, Path modelDir) {
        List<MatrixCell> cells = new ArrayList<>();
        for (ModelLoad model : models) {
            for (LocalProfile profile : profiles) {
                ScalingSettings scaling = profile.defaultScaling();
                int max = Math.max(scaling.minInstances(), Math.min(scaling.maxInstances(), maxInstances));
                Map<String, String> config = new LinkedHashMap<>();
                config.put("profile", profile.profileName());
                config.put("model-server-jar", modelServerJar.toString());
                if (modelDir != null) {
                    config.put("model-dir", modelDir.toString());
                }
                cells.add(new MatrixCell(
                        model.model(),
                        profile.profileName(),
                        LocalPlatformDriver.NAME,
                        config,
                        new DeploymentSpec(model.model(), 1, model.memoryMb(), null, max, null, Map.of()),
                        model.ratePerSecond(),
                        model.coldDuration(),
                        warmDuration,
                        Duration.ofSeconds(60),
                        "/v2/models/" + model.model() + "/predict",
                        "built-in " + name + " matrix",
                        0));
            }
        }
        return new MatrixSpec(name, "built-in " + name + " matrix", null, null, cells);
    }

    static int machineInstanceCap() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** True for a reduced selection (quick mode). */
    public boolean isReduced() {
        return !leftOut.isEmpty();
    }
}
