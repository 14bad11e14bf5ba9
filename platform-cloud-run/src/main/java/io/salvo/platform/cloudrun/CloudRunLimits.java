package io.salvo.platform.cloudrun;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Cloud Run's documented limits on one service revision, checked before any API call. One table, dated and sourced:
 * when Google changes a limit, change it here (and the date) and in docs/platforms/cloud-run.md.
 *
 * <p>Each violation is one sentence: the limit, the value asked for, the source, and the change that fits.
 */
public final class CloudRunLimits {

    /** When the table was last compared with the sources below. */
    public static final String AS_OF = "2026-12-06";

    static final String CPU_DOC = "cloud.google.com/run/docs/configuring/services/cpu";
    static final String MEMORY_DOC = "cloud.google.com/run/docs/configuring/services/memory-limits";
    static final String CONCURRENCY_DOC = "cloud.google.com/run/docs/about-concurrency";
    static final String TIMEOUT_DOC = "cloud.google.com/run/docs/configuring/request-timeout";
    static final String SCALING_DOC = "cloud.google.com/run/docs/configuring/max-instances";
    static final String GPU_DOC = "cloud.google.com/run/docs/configuring/services/gpu";
    static final String CONTRACT_DOC = "cloud.google.com/run/docs/container-contract#env-vars";
    static final Set<String> RESERVED_ENV = Set.of("PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION");
    static final String NAMING_DOC = "Cloud Run Admin API field violation on the service name";

    /** Whole vCPU counts Cloud Run offers; below 1, any value from 0.08 in steps of 0.001. */
    static final Set<Double> WHOLE_CPUS = Set.of(1.0, 2.0, 4.0, 6.0, 8.0);

    static final double MIN_FRACTIONAL_CPU = 0.08;
    static final int MAX_MEMORY_MIB = 32 * 1024;
    static final int MIN_MEMORY_MIB_GEN1 = 128;
    static final int MIN_MEMORY_MIB_GEN2 = 512;
    static final int MAX_CONCURRENCY = 1000;
    static final long MAX_TIMEOUT_SECONDS = 3600;
    static final int GPU_MIN_CPU = 4;
    static final int GPU_MIN_MEMORY_MIB = 16 * 1024;
    static final Set<String> GPU_TYPES = Set.of("nvidia-l4");
    private static final Pattern SERVICE_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");

    private CloudRunLimits() {}

    /** Every violated limit, in a stable order; empty when the deployment fits. */
    public static List<String> violations(ResolvedDeployment d, CloudRunSettings s) {
        List<String> out = new ArrayList<>();
        double cpu = d.cpu();
        int mem = d.memoryMib();
        boolean gen2 = s.executionEnvironment().equals("gen2");

        if (!SERVICE_NAME.matcher(s.service()).matches()) {
            out.add(limit(
                    "service name",
                    "'" + s.service() + "'",
                    "lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen, at most"
                            + " 63 characters",
                    NAMING_DOC,
                    "choose e.g. service=salvo-model-server"));
        }
        if (s.image() == null || s.image().isBlank()) {
            out.add("cloud-run needs a container image (setting 'image'): build and push the model-server image as"
                    + " docs/platforms/cloud-run.md shows");
        }
        if (d.model() == null || d.model().isBlank()) {
            out.add("a model name is required (SALVO_MODEL)");
        }
        for (String name : d.env().keySet()) {
            if (RESERVED_ENV.contains(name)) {
                out.add(limit(
                        "environment variable",
                        name,
                        "no PORT, K_SERVICE, K_REVISION or K_CONFIGURATION (Cloud Run sets them)",
                        CONTRACT_DOC,
                        name.equals("PORT") ? "use setting port= instead" : "remove it from env"));
            }
        }

        // vCPU
        boolean fractional = cpu < 1;
        if (cpu < MIN_FRACTIONAL_CPU) {
            out.add(limit("vCPU per instance", fmt(cpu), "at least 0.08", CPU_DOC, "set cpu=0.08 or more"));
        } else if (fractional && Math.abs(cpu * 1000 - Math.rint(cpu * 1000)) > 1e-6) {
            out.add(limit(
                    "vCPU per instance",
                    fmt(cpu),
                    "below 1 in steps of 0.001",
                    CPU_DOC,
                    "round cpu to three decimals"));
        } else if (!fractional && !WHOLE_CPUS.contains(cpu)) {
            out.add(limit(
                    "vCPU per instance",
                    fmt(cpu),
                    "1, 2, 4, 6 or 8 (or a fraction from 0.08 to 1)",
                    CPU_DOC,
                    "set cpu=" + fmt(nextWholeCpu(cpu))));
        }
        if (fractional && cpu >= MIN_FRACTIONAL_CPU) {
            if (mem > 512 && cpu < 0.5) {
                out.add(limit(
                        "memory with less than 0.5 vCPU",
                        mem + " MiB at cpu=" + fmt(cpu),
                        "at most 512 MiB",
                        CPU_DOC,
                        "set cpu=0.5 or more, or memory-mib=512 or less"));
            }
            if (mem > 1024 && cpu < 1) {
                out.add(limit(
                        "memory with less than 1 vCPU",
                        mem + " MiB at cpu=" + fmt(cpu),
                        "at most 1 GiB",
                        CPU_DOC,
                        "set cpu=1 or more, or memory-mib=1024 or less"));
            }
            if (d.concurrency() != 1) {
                out.add(limit(
                        "concurrency with less than 1 vCPU",
                        String.valueOf(d.concurrency()),
                        "must be 1",
                        CPU_DOC,
                        "set concurrency=1, or cpu=1 or more"));
            }
            if (s.cpuAlwaysAllocated()) {
                out.add(limit(
                        "billing with less than 1 vCPU",
                        "cpu-always-allocated=true",
                        "request-based billing only (CPU allocated during requests)",
                        CPU_DOC,
                        "set cpu-always-allocated=false, or cpu=1 or more"));
            }
            if (gen2) {
                out.add(limit(
                        "execution environment with less than 1 vCPU",
                        "gen2",
                        "first generation only",
                        CPU_DOC,
                        "set execution-environment=gen1, or cpu=1 or more"));
            }
        }
        if (cpu == 4 && mem < 2048) {
            out.add(limit(
                    "memory with 4 vCPU", mem + " MiB", "at least 2 GiB", CPU_DOC, "set memory-mib=2048 or more"));
        }
        if ((cpu == 6 || cpu == 8) && mem < 4096) {
            out.add(limit(
                    "memory with " + fmt(cpu) + " vCPU",
                    mem + " MiB",
                    "at least 4 GiB",
                    CPU_DOC,
                    "set memory-mib=4096 or more"));
        }

        // memory
        int minMemory = gen2 ? MIN_MEMORY_MIB_GEN2 : MIN_MEMORY_MIB_GEN1;
        if (mem < minMemory) {
            out.add(limit(
                    "memory per instance" + (gen2 ? " (second generation)" : ""),
                    mem + " MiB",
                    "at least " + minMemory + " MiB",
                    MEMORY_DOC,
                    "set memory-mib=" + minMemory + (gen2 ? ", or execution-environment=gen1" : "")));
        }
        if (mem > MAX_MEMORY_MIB) {
            out.add(limit(
                    "memory per instance",
                    mem + " MiB",
                    "at most 32 GiB (32768 MiB)",
                    MEMORY_DOC,
                    "use a smaller model, or a platform with larger instances"));
        } else {
            int neededCpu = minCpuForMemory(mem);
            if (cpu < neededCpu) {
                out.add(limit(
                        "vCPU for " + mem + " MiB of memory",
                        "cpu=" + fmt(cpu),
                        "at least " + neededCpu + " vCPU above " + memoryStep(mem),
                        MEMORY_DOC,
                        "set cpu=" + neededCpu + ", or lower memory-mib"));
            }
        }

        // concurrency, timeout, scaling
        if (d.concurrency() < 1 || d.concurrency() > MAX_CONCURRENCY) {
            out.add(limit(
                    "maximum concurrent requests per instance",
                    String.valueOf(d.concurrency()),
                    "1 to 1000",
                    CONCURRENCY_DOC,
                    "set concurrency between 1 and 1000 (Cloud Run's default is 80)"));
        }
        long timeout = s.requestTimeout().toSeconds();
        if (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
            out.add(limit(
                    "request timeout",
                    timeout + " s",
                    "1 s to 60 min (3600 s)",
                    TIMEOUT_DOC,
                    "set timeout-seconds=3600 or less; longer work belongs in a Cloud Run job"));
        }
        if (d.minInstances() < 0) {
            out.add(limit(
                    "minimum instances",
                    String.valueOf(d.minInstances()),
                    "0 or more",
                    SCALING_DOC,
                    "set min-instances=0"));
        }
        if (d.maxInstances() < 1) {
            out.add(limit(
                    "maximum instances",
                    String.valueOf(d.maxInstances()),
                    "1 or more",
                    SCALING_DOC,
                    "set max-instances=1"));
        }
        if (d.minInstances() > d.maxInstances()) {
            out.add(limit(
                    "minimum instances",
                    d.minInstances() + " > max-instances " + d.maxInstances(),
                    "at most the maximum instances",
                    SCALING_DOC,
                    "raise max-instances to " + d.minInstances() + " or lower min-instances"));
        }

        // GPU
        if (s.gpus() < 0 || s.gpus() > 1) {
            out.add(limit("GPUs per instance", String.valueOf(s.gpus()), "0 or 1", GPU_DOC, "set gpus=1"));
        }
        if (s.gpus() > 0) {
            if (s.gpuType() == null || !GPU_TYPES.contains(s.gpuType())) {
                out.add(limit(
                        "GPU type",
                        String.valueOf(s.gpuType()),
                        "one of " + GPU_TYPES + " (the types this table knows)",
                        GPU_DOC,
                        "set gpu-type=nvidia-l4"));
            }
            if (cpu < GPU_MIN_CPU) {
                out.add(limit(
                        "vCPU with a GPU",
                        "cpu=" + fmt(cpu),
                        "at least 4",
                        GPU_DOC,
                        "set cpu=4 (and memory-mib=16384)"));
            }
            if (mem < GPU_MIN_MEMORY_MIB) {
                out.add(limit("memory with a GPU", mem + " MiB", "at least 16 GiB", GPU_DOC, "set memory-mib=16384"));
            }
            if (!s.cpuAlwaysAllocated()) {
                out.add(limit(
                        "billing with a GPU",
                        "cpu-always-allocated=false",
                        "instance-based billing (CPU always allocated)",
                        GPU_DOC,
                        "set cpu-always-allocated=true"));
            }
        }
        return out;
    }

    /** Cloud Run's memory-to-CPU coupling: more than 4, 8, 16, 24 GiB need 2, 4, 6, 8 vCPU. */
    static int minCpuForMemory(int memoryMib) {
        if (memoryMib > 24 * 1024) {
            return 8;
        }
        if (memoryMib > 16 * 1024) {
            return 6;
        }
        if (memoryMib > 8 * 1024) {
            return 4;
        }
        if (memoryMib > 4 * 1024) {
            return 2;
        }
        return 0;
    }

    private static String memoryStep(int memoryMib) {
        if (memoryMib > 24 * 1024) {
            return "24 GiB";
        }
        if (memoryMib > 16 * 1024) {
            return "16 GiB";
        }
        if (memoryMib > 8 * 1024) {
            return "8 GiB";
        }
        return "4 GiB";
    }

    private static double nextWholeCpu(double cpu) {
        for (double whole : new double[] {1, 2, 4, 6, 8}) {
            if (whole >= cpu) {
                return whole;
            }
        }
        return 8;
    }

    private static String limit(String what, String value, String rule, String source, String suggestion) {
        return what + " is " + value + ", Cloud Run allows " + rule + " (" + source + ", as of " + AS_OF + "): "
                + suggestion;
    }

    static String fmt(double value) {
        if (value == Math.rint(value)) {
            return String.valueOf((long) value);
        }
        return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
}
