package io.salvo.modelserver;

import io.salvo.modelserver.cli.ModelsCommand;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.http.HttpTransport;
import io.salvo.modelserver.serving.ModelSource;
import io.salvo.modelserver.serving.ServingCore;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar salvo-model-server.jar} serves the model named by {@code SALVO_MODEL} over HTTP;
 * {@code ... models list|prepare} manages the model cache.
 *
 * <p>Start-up order: bind the port (liveness answers at once), load the model in the background, and when the model
 * is loaded and warmed up print one line to standard output that a parent process can wait for:
 * {@code SALVO_READY port=<p> instance=<id> model=<name> model_load_ms=<n> warmup_ms=<n> prepare_ms=<n> startup_ms=<n>}.
 */
@Command(
        name = "salvo-model-server",
        mixinStandardHelpOptions = true,
        subcommands = ModelsCommand.class,
        description = "Serve one ONNX model over the Open Inference Protocol (configured by environment variables).")
public final class ModelServerMain implements Callable<Integer> {

    static {
        // before any class of this program or a library logs
        LogFormat.install();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelServerMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Logger log = Logger.getLogger(ModelServerMain.class.getName());
        ServerConfig config;
        try {
            config = ServerConfig.fromEnvironment();
        } catch (IllegalArgumentException e) {
            log.severe(() -> "invalid configuration: " + e.getMessage());
            return 2;
        }
        log.info(() -> "effective configuration " + config.describe());

        ServingCore core = new ServingCore(config, ModelSource.fromConfig(config));
        // load while the HTTP server starts: the two overlap, and requests arriving early wait in the bounded queue
        core.startLoading();
        HttpTransport transport = HttpTransport.start(core);
        log.info(() -> "listening on " + config.bindHost() + ":" + transport.port()
                + " (liveness answers now; readiness after the model is loaded)");

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            transport.close();
                            core.close();
                            stopped.countDown();
                        },
                        "shutdown"));

        ModelSource.LoadReport report;
        try {
            report = core.loaded().get();
        } catch (ExecutionException e) {
            log.severe(() -> "exiting: model " + config.modelName() + " could not be loaded: " + e.getCause());
            return 1;
        }
        long startupMillis = System.currentTimeMillis() - core.identity().startedAtEpochMillis();
        System.out.printf(
                "SALVO_READY port=%d instance=%s model=%s model_load_ms=%d warmup_ms=%d prepare_ms=%d startup_ms=%d%n",
                transport.port(),
                core.identity().id(),
                config.modelName(),
                report.loadMillis(),
                report.warmupMillis(),
                report.prepareMillis(),
                startupMillis);
        System.out.flush();
        stopped.await();
        return 0;
    }
}
