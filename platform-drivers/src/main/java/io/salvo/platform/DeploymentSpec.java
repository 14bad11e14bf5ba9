package io.salvo.platform;

import java.util.Map;

/**
 * What to deploy and with which resources. Null scaling fields mean "the platform or profile default".
 *
 * @param model                  model name understood by the model-server ({@code SALVO_MODEL})
 * @param cpusPerInstance        CPUs each instance may use
 * @param memoryMbPerInstance    memory of each instance, MiB
 * @param minInstances           instances kept even when idle (0 allows scale to zero)
 * @param maxInstances           upper bound on instances
 * @param concurrencyPerInstance requests one instance serves at once before the platform scales out
 * @param env                    extra environment for each instance
 */
public record DeploymentSpec(
        String model,
        double cpusPerInstance,
        int memoryMbPerInstance,
        Integer minInstances,
        Integer maxInstances,
        Integer concurrencyPerInstance,
        Map<String, String> env) {

    public DeploymentSpec {
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** One CPU, 512 MiB and the profile's scaling. */
    public static DeploymentSpec of(String model) {
        return new DeploymentSpec(model, 1, 512, null, null, null, Map.of());
    }

    public DeploymentSpec withScaling(Integer min, Integer max, Integer concurrency) {
        return new DeploymentSpec(model, cpusPerInstance, memoryMbPerInstance, min, max, concurrency, env);
    }

    public DeploymentSpec withEnv(Map<String, String> extra) {
        return new DeploymentSpec(
                model, cpusPerInstance, memoryMbPerInstance, minInstances, maxInstances, concurrencyPerInstance, extra);
    }
}
