package io.salvo.platform.cloudrun;

import io.salvo.platform.DriverConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The cloud-run driver's settings: everything but the {@link io.salvo.platform.DeploymentSpec}. Keys and defaults
 * are listed in docs/platforms/cloud-run.md; {@link #parse} reads them with {@link DriverConfig} (unknown keys are
 * refused).
 *
 * @param project            Google Cloud project id
 * @param region             Cloud Run region, e.g. {@code europe-west1}
 * @param service            service name
 * @param image              container image of the model-server (Artifact Registry)
 * @param cpu                vCPU per instance; null = the spec's {@code cpusPerInstance}
 * @param memoryMib          memory per instance, MiB; null = the spec's {@code memoryMbPerInstance}
 * @param concurrency        requests per instance; null = the spec's, else Cloud Run's default (80)
 * @param minInstances       null = the spec's, else 0
 * @param maxInstances       null = the spec's, else Cloud Run's default (100)
 * @param startupCpuBoost    more CPU while an instance starts
 * @param cpuAlwaysAllocated instance-based billing (CPU also between requests); false = request-based billing
 * @param executionEnvironment {@code gen1}, {@code gen2} or {@code default} (Cloud Run chooses)
 * @param requestTimeout     per request (Cloud Run's 1 s to 60 min)
 * @param env                extra environment of the container
 * @param publicInvoker      true: allUsers get roles/run.invoker; false: requests carry an ID token
 * @param monitoring         read instance counts and request counts from Cloud Monitoring
 * @param keep               leave the service in place at teardown
 * @param endpoint           API endpoint override ({@code host:port}); loopback means plaintext without credentials
 * @param serviceAccount     the revision's runtime service account; null = the project's default
 * @param containerPort      the port the model-server listens on (it reads {@code PORT}, which Cloud Run sets)
 * @param gpus               GPUs per instance (0 or 1)
 * @param gpuType            accelerator of {@code gpus}, e.g. {@code nvidia-l4}
 * @param coldWait           how long forceCold waits for idle instances to go when it cannot watch them
 * @param operationPoll      first poll interval of long-running operations
 * @param operationTimeout   longest wait for one long-running operation
 */
public record CloudRunSettings(
        String project,
        String region,
        String service,
        String image,
        Double cpu,
        Integer memoryMib,
        Integer concurrency,
        Integer minInstances,
        Integer maxInstances,
        boolean startupCpuBoost,
        boolean cpuAlwaysAllocated,
        String executionEnvironment,
        Duration requestTimeout,
        Map<String, String> env,
        boolean publicInvoker,
        boolean monitoring,
        boolean keep,
        String endpoint,
        String serviceAccount,
        int containerPort,
        int gpus,
        String gpuType,
        Duration coldWait,
        Duration operationPoll,
        Duration operationTimeout) {

    public static final String DEFAULT_SERVICE = "salvo-model-server";
    /**
     * Cloud Run stops an idle instance at most 15 minutes after its last request unless minimum instances keep it
     * (cloud.google.com/run/docs/configuring/cpu-allocation); one more minute of margin.
     */
    public static final Duration DEFAULT_COLD_WAIT = Duration.ofMinutes(16);

    public CloudRunSettings {
        env = env == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }

    /** Every key, for {@code --help} and the docs. */
    public static final String KEYS = "project, region, service, image, cpu, memory-mib, concurrency, min-instances,"
            + " max-instances, startup-cpu-boost, cpu-always-allocated, execution-environment, timeout-seconds, env,"
            + " invoker (public|id-token), monitoring, keep, endpoint, service-account, port, gpus, gpu-type,"
            + " cold-wait-ms, operation-poll-ms, operation-timeout-ms";

    /**
     * Reads the settings; project and region fall back to {@code GOOGLE_CLOUD_PROJECT} and {@code
     * GOOGLE_CLOUD_REGION} (then {@code CLOUDSDK_CORE_PROJECT}, {@code CLOUDSDK_RUN_REGION}).
     *
     * @throws IllegalArgumentException naming the key when a value is malformed, missing or unknown
     */
    public static CloudRunSettings parse(Map<String, String> values, Map<String, String> environment) {
        DriverConfig config = new DriverConfig(CloudRunPlatformDriver.NAME, values);
        String project =
                config.string("project", firstOf(environment, "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"));
        String region = config.string("region", firstOf(environment, "GOOGLE_CLOUD_REGION", "CLOUDSDK_RUN_REGION"));
        String service = config.string("service", DEFAULT_SERVICE);
        String image = config.requiredString("image");
        Double cpu = decimal(config, "cpu");
        Integer memory = config.integer("memory-mib", null);
        Integer concurrency = config.integer("concurrency", null);
        Integer min = config.integer("min-instances", null);
        Integer max = config.integer("max-instances", null);
        boolean boost = bool(config, "startup-cpu-boost", false);
        boolean always = bool(config, "cpu-always-allocated", false);
        String environmentKind =
                config.string("execution-environment", "default").toLowerCase(Locale.ROOT);
        if (!environmentKind.equals("gen1") && !environmentKind.equals("gen2") && !environmentKind.equals("default")) {
            throw new IllegalArgumentException(CloudRunPlatformDriver.NAME
                    + ": setting 'execution-environment' must be gen1, gen2 or default, got '" + environmentKind + "'");
        }
        Integer timeoutSeconds = config.integer("timeout-seconds", 300);
        Map<String, String> env = parseEnv(config.string("env", null));
        String invoker = config.string("invoker", "id-token").toLowerCase(Locale.ROOT);
        if (!invoker.equals("public") && !invoker.equals("id-token")) {
            throw new IllegalArgumentException(CloudRunPlatformDriver.NAME
                    + ": setting 'invoker' must be public or id-token, got '" + invoker + "'");
        }
        boolean monitoring = bool(config, "monitoring", false);
        boolean keep = bool(config, "keep", false);
        String endpoint = config.string("endpoint", null);
        String serviceAccount = config.string("service-account", null);
        int port = config.integer("port", 8080);
        int gpus = config.integer("gpus", 0);
        String gpuType = config.string("gpu-type", gpus > 0 ? "nvidia-l4" : null);
        Duration coldWait = config.millis("cold-wait-ms", DEFAULT_COLD_WAIT);
        Duration poll = config.millis("operation-poll-ms", Duration.ofSeconds(2));
        Duration operationTimeout = config.millis("operation-timeout-ms", Duration.ofMinutes(10));
        config.rejectUnknownKeys();
        if (project == null) {
            throw new IllegalArgumentException(
                    CloudRunPlatformDriver.NAME + ": setting 'project' is required (or set GOOGLE_CLOUD_PROJECT)");
        }
        if (region == null) {
            throw new IllegalArgumentException(CloudRunPlatformDriver.NAME
                    + ": setting 'region' is required (or set GOOGLE_CLOUD_REGION), e.g. europe-west1");
        }
        return new CloudRunSettings(
                project,
                region,
                service,
                image,
                cpu,
                memory,
                concurrency,
                min,
                max,
                boost,
                always,
                environmentKind,
                Duration.ofSeconds(timeoutSeconds),
                env,
                invoker.equals("public"),
                monitoring,
                keep,
                endpoint,
                serviceAccount,
                port,
                gpus,
                gpuType,
                coldWait,
                poll,
                operationTimeout);
    }

    /** {@code projects/P/locations/R}. */
    public String parent() {
        return "projects/" + project + "/locations/" + region;
    }

    /** {@code projects/P/locations/R/services/S}. */
    public String serviceName() {
        return parent() + "/services/" + service;
    }

    private static String firstOf(Map<String, String> environment, String... names) {
        for (String name : names) {
            String value = environment.get(name);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }

    private static Double decimal(DriverConfig config, String key) {
        String value = config.string(key, null);
        if (value == null) {
            return null;
        }
        try {
            double parsed = Double.parseDouble(value);
            if (!Double.isFinite(parsed)) {
                throw new NumberFormatException(value);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    CloudRunPlatformDriver.NAME + ": setting '" + key + "' must be a number, got '" + value + "'");
        }
    }

    private static boolean bool(DriverConfig config, String key, boolean defaultValue) {
        String value = config.string(key, null);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default ->
                throw new IllegalArgumentException(CloudRunPlatformDriver.NAME + ": setting '" + key
                        + "' must be true or false, got '" + value + "'");
        };
    }

    /** {@code NAME=value,NAME2=value2}; a value may not contain a comma. */
    static Map<String, String> parseEnv(String value) {
        Map<String, String> env = new LinkedHashMap<>();
        if (value == null) {
            return env;
        }
        for (String pair : value.split(",", -1)) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(CloudRunPlatformDriver.NAME
                        + ": setting 'env' must be NAME=value pairs separated by commas, got '" + pair.trim() + "'");
            }
            env.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return env;
    }
}
