package io.salvo.benchmark;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine a benchmark ran on, printed with every table: local results mean little without it.
 *
 * @param cores        processors available to the JVM
 * @param memoryBytes  physical memory, bytes (0 when the JVM cannot tell)
 * @param cpuModel     from /proc/cpuinfo's "model name", or the OS architecture
 * @param java         runtime name and version
 * @param os           operating system name and version
 */
public record MachineInfo(
        @JsonProperty("cores") int cores,
        @JsonProperty("memory_bytes") long memoryBytes,
        @JsonProperty("cpu_model") String cpuModel,
        @JsonProperty("java") String java,
        @JsonProperty("os") String os) {

    public static MachineInfo current() {
        long memory = 0;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean bean) {
            memory = bean.getTotalMemorySize();
        }
        return new MachineInfo(
                Runtime.getRuntime().availableProcessors(),
                memory,
                readCpuModel(),
                System.getProperty("java.vm.name") + " " + Runtime.version(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
    }

    private static String readCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux or not readable: fall back to the architecture below.
        }
        return System.getProperty("os.arch") + " (CPU model unknown)";
    }

    /** One line, e.g. "2 cores, 23.4 GiB, Intel(R) Xeon(R) ..., OpenJDK 64-Bit Server VM 17.0.9". */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%d cores, %.1f GiB memory, %s, %s, %s",
                cores,
                memoryBytes / (1024.0 * 1024 * 1024),
                cpuModel,
                java,
                os);
    }
}
