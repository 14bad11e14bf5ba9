package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformLimitException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of {@link CloudRunLimits}' table: a deployment that breaks exactly that limit gets exactly one message,
 * which names the limit, the value asked for, the source and a change that fits.
 */
class CloudRunLimitsTest {

    /** Settings beside the defaults, spec resources and scaling, then what the one message must say. */
    static Stream<Arguments> oneViolationEach() {
        return Stream.of(
                row(
                        "cpu below 0.08",
                        Map.of(),
                        0.05,
                        512,
                        1,
                        "vCPU per instance is 0.05",
                        "at least 0.08",
                        "cpu=0.08",
                        CloudRunLimits.CPU_DOC),
                row(
                        "fraction finer than 0.001",
                        Map.of(),
                        0.1234,
                        512,
                        1,
                        "vCPU per instance is 0.1234",
                        "steps of 0.001",
                        "three decimals",
                        CloudRunLimits.CPU_DOC),
                row(
                        "whole cpu not offered",
                        Map.of(),
                        3,
                        4096,
                        80,
                        "vCPU per instance is 3",
                        "1, 2, 4, 6 or 8",
                        "cpu=4",
                        CloudRunLimits.CPU_DOC),
                row(
                        "more than 8 cpu",
                        Map.of(),
                        10,
                        8192,
                        80,
                        "vCPU per instance is 10",
                        "1, 2, 4, 6 or 8",
                        "cpu=8",
                        CloudRunLimits.CPU_DOC),
                row(
                        "over 512 MiB below 0.5 cpu",
                        Map.of(),
                        0.25,
                        768,
                        1,
                        "memory with less than 0.5 vCPU is 768 MiB",
                        "at most 512 MiB",
                        "cpu=0.5",
                        CloudRunLimits.CPU_DOC),
                row(
                        "over 1 GiB below 1 cpu",
                        Map.of(),
                        0.5,
                        2048,
                        1,
                        "memory with less than 1 vCPU is 2048 MiB",
                        "at most 1 GiB",
                        "cpu=1",
                        CloudRunLimits.CPU_DOC),
                row(
                        "fractional cpu with concurrency",
                        Map.of(),
                        0.5,
                        512,
                        10,
                        "concurrency with less than 1 vCPU is 10",
                        "must be 1",
                        "concurrency=1",
                        CloudRunLimits.CPU_DOC),
                row(
                        "fractional cpu always allocated",
                        Map.of("cpu-always-allocated", "true"),
                        0.5,
                        512,
                        1,
                        "billing with less than 1 vCPU",
                        "request-based billing only",
                        "cpu-always-allocated=false",
                        CloudRunLimits.CPU_DOC),
                row(
                        "fractional cpu on gen2",
                        Map.of("execution-environment", "gen2"),
                        0.5,
                        512,
                        1,
                        "execution environment with less than 1 vCPU is gen2",
                        "first generation only",
                        "execution-environment=gen1",
                        CloudRunLimits.CPU_DOC),
                row(
                        "4 cpu under 2 GiB",
                        Map.of(),
                        4,
                        1024,
                        80,
                        "memory with 4 vCPU is 1024 MiB",
                        "at least 2 GiB",
                        "memory-mib=2048",
                        CloudRunLimits.CPU_DOC),
                row(
                        "8 cpu under 4 GiB",
                        Map.of(),
                        8,
                        2048,
                        80,
                        "memory with 8 vCPU is 2048 MiB",
                        "at least 4 GiB",
                        "memory-mib=4096",
                        CloudRunLimits.CPU_DOC),
                row(
                        "memory below 128 MiB",
                        Map.of(),
                        1,
                        64,
                        80,
                        "memory per instance is 64 MiB",
                        "at least 128 MiB",
                        "memory-mib=128",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "gen2 below 512 MiB",
                        Map.of("execution-environment", "gen2"),
                        1,
                        256,
                        80,
                        "memory per instance (second generation) is 256 MiB",
                        "at least 512 MiB",
                        "execution-environment=gen1",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "memory above 32 GiB",
                        Map.of(),
                        8,
                        40960,
                        80,
                        "memory per instance is 40960 MiB",
                        "at most 32 GiB",
                        "smaller model",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "over 4 GiB with 1 cpu",
                        Map.of(),
                        1,
                        6144,
                        80,
                        "vCPU for 6144 MiB of memory is cpu=1",
                        "at least 2 vCPU above 4 GiB",
                        "cpu=2",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "over 8 GiB with 2 cpu",
                        Map.of(),
                        2,
                        8704,
                        80,
                        "vCPU for 8704 MiB of memory is cpu=2",
                        "at least 4 vCPU above 8 GiB",
                        "cpu=4",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "over 16 GiB with 4 cpu",
                        Map.of(),
                        4,
                        20480,
                        80,
                        "vCPU for 20480 MiB of memory is cpu=4",
                        "at least 6 vCPU above 16 GiB",
                        "cpu=6",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "over 24 GiB with 6 cpu",
                        Map.of(),
                        6,
                        28672,
                        80,
                        "vCPU for 28672 MiB of memory is cpu=6",
                        "at least 8 vCPU above 24 GiB",
                        "cpu=8",
                        CloudRunLimits.MEMORY_DOC),
                row(
                        "concurrency 0",
                        Map.of(),
                        1,
                        512,
                        0,
                        "maximum concurrent requests per instance is 0",
                        "1 to 1000",
                        "between 1 and 1000",
                        CloudRunLimits.CONCURRENCY_DOC),
                row(
                        "concurrency above 1000",
                        Map.of(),
                        1,
                        512,
                        1001,
                        "maximum concurrent requests per instance is 1001",
                        "1 to 1000",
                        "between 1 and 1000",
                        CloudRunLimits.CONCURRENCY_DOC),
                row(
                        "timeout above 60 min",
                        Map.of("timeout-seconds", "3601"),
                        1,
                        512,
                        80,
                        "request timeout is 3601 s",
                        "1 s to 60 min",
                        "timeout-seconds=3600",
                        CloudRunLimits.TIMEOUT_DOC),
                row(
                        "timeout 0",
                        Map.of("timeout-seconds", "0"),
                        1,
                        512,
                        80,
                        "request timeout is 0 s",
                        "1 s to 60 min",
                        "timeout-seconds",
                        CloudRunLimits.TIMEOUT_DOC),
                row(
                        "min above max",
                        Map.of("min-instances", "5", "max-instances", "3"),
                        1,
                        512,
                        80,
                        "minimum instances is 5 > max-instances 3",
                        "at most the maximum",
                        "max-instances to 5",
                        CloudRunLimits.SCALING_DOC),
                row(
                        "negative min",
                        Map.of("min-instances", "-1"),
                        1,
                        512,
                        80,
                        "minimum instances is -1",
                        "0 or more",
                        "min-instances=0",
                        CloudRunLimits.SCALING_DOC),
                row(
                        "max 0",
                        Map.of("max-instances", "0", "min-instances", "0"),
                        1,
                        512,
                        80,
                        "maximum instances is 0",
                        "1 or more",
                        "max-instances=1",
                        CloudRunLimits.SCALING_DOC),
                row(
                        "two GPUs",
                        gpu("2", "nvidia-l4"),
                        4,
                        16384,
                        80,
                        "GPUs per instance is 2",
                        "0 or 1",
                        "gpus=1",
                        CloudRunLimits.GPU_DOC),
                row(
                        "unknown GPU type",
                        gpu("1", "nvidia-a100"),
                        4,
                        16384,
                        80,
                        "GPU type is nvidia-a100",
                        "nvidia-l4",
                        "gpu-type=nvidia-l4",
                        CloudRunLimits.GPU_DOC),
                row(
                        "GPU with 2 cpu",
                        gpu("1", "nvidia-l4"),
                        2,
                        16384,
                        80,
                        "vCPU with a GPU is cpu=2",
                        "at least 4",
                        "cpu=4",
                        CloudRunLimits.GPU_DOC),
                row(
                        "GPU with 8 GiB",
                        gpu("1", "nvidia-l4"),
                        4,
                        8192,
                        80,
                        "memory with a GPU is 8192 MiB",
                        "at least 16 GiB",
                        "memory-mib=16384",
                        CloudRunLimits.GPU_DOC),
                row(
                        "GPU with request-based billing",
                        Map.of("gpus", "1"),
                        4,
                        16384,
                        80,
                        "billing with a GPU is cpu-always-allocated=false",
                        "instance-based billing",
                        "cpu-always-allocated=true",
                        CloudRunLimits.GPU_DOC),
                row(
                        "PORT in env",
                        Map.of("env", "PORT=9000"),
                        1,
                        512,
                        80,
                        "environment variable is PORT",
                        "Cloud Run sets them",
                        "setting port=",
                        CloudRunLimits.CONTRACT_DOC),
                row(
                        "service name with upper case",
                        Map.of("service", "Salvo_Bench"),
                        1,
                        512,
                        80,
                        "service name is 'Salvo_Bench'",
                        "lower-case letters",
                        "service=salvo-model-server",
                        CloudRunLimits.NAMING_DOC));
    }

    private static Map<String, String> gpu(String count, String type) {
        return Map.of("gpus", count, "gpu-type", type, "cpu-always-allocated", "true");
    }

    private static Arguments row(
            String name,
            Map<String, String> extra,
            double cpu,
            int memoryMib,
            int concurrency,
            String limitAndValue,
            String rule,
            String suggestion,
            String source) {
        return Arguments.of(name, extra, cpu, memoryMib, concurrency, List.of(limitAndValue, rule, suggestion, source));
    }

    private static CloudRunSettings settings(Map<String, String> extra) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("project", "p");
        config.put("region", "europe-west1");
        config.put("image", "europe-west1-docker.pkg.dev/p/salvo/model-server:minilm");
        config.putAll(extra);
        return CloudRunSettings.parse(config, Map.of());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneViolationEach")
    void eachLimitHasItsOwnMessage(
            String name, Map<String, String> extra, double cpu, int memoryMib, int concurrency, List<String> expected) {
        CloudRunSettings settings = settings(extra);
        DeploymentSpec spec = new DeploymentSpec("minilm", cpu, memoryMib, null, null, concurrency, Map.of());
        List<String> violations = CloudRunLimits.violations(ResolvedDeployment.of(spec, settings), settings);
        // a GPU needs 16 GiB, and more than 8 GiB needs 4 vCPU anyway: that row also breaks the memory coupling
        assertThat(violations).as(name).hasSize(name.equals("GPU with 2 cpu") ? 2 : 1);
        assertThat(violations)
                .as(name)
                .anySatisfy(v -> assertThat(v).contains(expected).contains("as of " + CloudRunLimits.AS_OF));
    }

    @ParameterizedTest(name = "fits: cpu={0} memory={1} concurrency={2}")
    @MethodSource("fitting")
    void deploymentsThatFitHaveNoViolation(double cpu, int memoryMib, int concurrency, Map<String, String> extra) {
        CloudRunSettings settings = settings(extra);
        DeploymentSpec spec = new DeploymentSpec("minilm", cpu, memoryMib, 0, 10, concurrency, Map.of());
        assertThat(CloudRunLimits.violations(ResolvedDeployment.of(spec, settings), settings))
                .isEmpty();
    }

    static Stream<Arguments> fitting() {
        return Stream.of(
                Arguments.of(1, 512, 80, Map.of()),
                Arguments.of(0.08, 128, 1, Map.of()),
                Arguments.of(0.5, 1024, 1, Map.of("execution-environment", "gen1")),
                Arguments.of(2, 8192, 1000, Map.of("execution-environment", "gen2", "timeout-seconds", "3600")),
                Arguments.of(8, 32768, 80, Map.of("cpu-always-allocated", "true")),
                Arguments.of(4, 16384, 4, gpu("1", "nvidia-l4")));
    }

    @org.junit.jupiter.api.Test
    void everyViolationIsListedInOneExceptionBeforeAnything() {
        CloudRunSettings settings = settings(Map.of("timeout-seconds", "7200"));
        CloudRunPlatformDriver driver =
                new CloudRunPlatformDriver(settings, new CloudRunClients(settings), d -> {}, java.time.Instant::now);
        assertThatThrownBy(() -> driver.validate(new DeploymentSpec("minilm", 3, 65536, null, null, 2000, Map.of())))
                .isInstanceOf(PlatformLimitException.class)
                .satisfies(e ->
                        assertThat(((PlatformLimitException) e).violations()).hasSize(4))
                .hasMessageStartingWith("cloud-run cannot run this deployment: ");
    }
}
