package io.salvo.platform.local;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts one instance process. Contract for the process: it serves HTTP on 127.0.0.1 at the port given
 * in {@code PORT}, prints {@code SALVO_READY port=<p> instance=<id> model_load_ms=<n>} on standard output
 * when it can serve, and exits when its standard input reaches end-of-file (so it dies with its parent;
 * {@link JavaMainLauncher} arranges this for any Java program).
 */
public interface InstanceLauncher {

    /**
     * What to start: one instance of the model server and the resources it may use.
     *
     * @param name           the platform's name for the instance, e.g. {@code local-3}
     * @param port           loopback port the instance must listen on
     * @param model          {@code SALVO_MODEL}
     * @param modelDir       {@code SALVO_MODEL_DIR}, or null for the instance's default
     * @param cpus           CPUs the instance may use
     * @param memoryMb       memory the instance may use, MiB
     * @param env            extra environment
     */
    record Launch(
            String name, int port, String model, Path modelDir, double cpus, int memoryMb, Map<String, String> env) {}

    /** The command line and environment for one instance. */
    ProcessBuilder processFor(Launch launch);

    /** Problems that would make every launch fail (a missing jar), for validate(); empty when fine. */
    List<String> problems();

    /** Starts the process; its stdout and stdin must stay pipes (see the contract above). */
    default Process start(Launch launch, Path stderrLog) throws IOException {
        ProcessBuilder builder = processFor(launch);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.redirectOutput(ProcessBuilder.Redirect.PIPE);
        builder.redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        return builder.start();
    }
}
