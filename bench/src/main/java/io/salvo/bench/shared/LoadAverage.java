package io.salvo.bench.shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's load average from /proc/loadavg, printed beside benchmark figures because on a shared machine the
 * background load decides how far they can be trusted.
 */
public final class LoadAverage {

    private LoadAverage() {}

    /** The whole /proc/loadavg line (1, 5 and 15 minutes, runnable/total tasks, last pid), or "unknown". */
    public static String now() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The 1-minute load average, or "unknown". */
    public static String oneMinute() {
        return now().split(" ", -1)[0];
    }
}
