package io.salvo.platform.cloudrun;

import io.salvo.platform.DeploymentSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What will actually be asked of Cloud Run: the spec's model with the resources and scaling in force. Settings
 * {@code cpu} and {@code memory-mib} replace the spec's resources when set; the spec's min/max/concurrency replace
 * the settings' (as with the local driver); what neither sets takes Cloud Run's default.
 *
 * @param model        {@code SALVO_MODEL}
 * @param cpu          vCPU per instance
 * @param memoryMib    memory per instance, MiB
 * @param concurrency  maximum concurrent requests per instance
 * @param minInstances minimum instances of the revision
 * @param maxInstances maximum instances of the revision
 * @param env          the container's environment (settings' env, then the spec's, then SALVO_MODEL)
 */
public record ResolvedDeployment(
        String model,
        double cpu,
        int memoryMib,
        int concurrency,
        int minInstances,
        int maxInstances,
        Map<String, String> env) {

    /** Cloud Run's default maximum concurrent requests per instance. */
    public static final int DEFAULT_CONCURRENCY = 80;
    /** Cloud Run's default maximum instances of a service. */
    public static final int DEFAULT_MAX_INSTANCES = 100;

    public ResolvedDeployment {
        // in order: the revision's environment, and so its identity, must not depend on hash order
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    public static ResolvedDeployment of(DeploymentSpec spec, CloudRunSettings settings) {
        double cpu = settings.cpu() != null ? settings.cpu() : spec.cpusPerInstance();
        int memory = settings.memoryMib() != null ? settings.memoryMib() : spec.memoryMbPerInstance();
        int concurrency = firstNonNull(spec.concurrencyPerInstance(), settings.concurrency(), DEFAULT_CONCURRENCY);
        int min = firstNonNull(spec.minInstances(), settings.minInstances(), 0);
        int max = firstNonNull(spec.maxInstances(), settings.maxInstances(), DEFAULT_MAX_INSTANCES);
        Map<String, String> env = new LinkedHashMap<>(settings.env());
        env.putAll(spec.env());
        if (spec.model() != null) {
            env.put("SALVO_MODEL", spec.model());
        }
        return new ResolvedDeployment(spec.model(), cpu, memory, concurrency, min, max, env);
    }

    /** Memory in GiB, the unit Cloud Run bills. */
    public double memoryGib() {
        return memoryMib / 1024.0;
    }

    /** The same deployment with other minimum instances (a forced cold start runs with 0). */
    public ResolvedDeployment withMinInstances(int min) {
        return new ResolvedDeployment(model, cpu, memoryMib, concurrency, min, maxInstances, env);
    }

    private static int firstNonNull(Integer first, Integer second, int fallback) {
        if (first != null) {
            return first;
        }
        return second != null ? second : fallback;
    }
}
