package io.salvo.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.salvo.plan.PlanDocument;
import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.plan.PlatformSection;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.local.LocalPlatformDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code salvo deploy model}: a model deployment on its own, through any platform driver, from a plan's
 * {@code platform} section or from options. Stays in the foreground until Ctrl-C and tears down then, or with
 * {@code --detach} leaves the deployment and records it in a state file for {@code salvo teardown}.
 */
@Command(
        name = "model",
        mixinStandardHelpOptions = true,
        description = {
            "Deploys a model through a platform driver ('salvo platforms' lists them), from a plan's platform section"
                    + " or from --platform, --set and the deployment options, waits until it is ready and prints its"
                    + " endpoint.",
            "It then stays until Ctrl-C and tears the deployment down; with --detach it exits and leaves it, recorded in"
                    + " --state for 'salvo teardown'."
        })
final class DeployModelCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "PLAN.yaml", description = "A plan with a platform section.")
    Path planFile;

    @Option(names = "--platform", paramLabel = "NAME", description = "The platform driver (instead of a plan).")
    String platform;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A driver setting (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--model", paramLabel = "NAME", description = "The model to deploy (with --platform).")
    String model;

    @Option(names = "--cpus", defaultValue = "1", description = "CPUs per instance (default: ${DEFAULT-VALUE}).")
    double cpus;

    @Option(names = "--memory", defaultValue = "512", description = "MiB per instance (default: ${DEFAULT-VALUE}).")
    int memory;

    @Option(names = "--min-instances", paramLabel = "N", description = "Instances kept when idle.")
    Integer minInstances;

    @Option(names = "--max-instances", paramLabel = "N", description = "Upper bound on instances.")
    Integer maxInstances;

    @Option(names = "--concurrency", paramLabel = "N", description = "Requests one instance serves at once.")
    Integer concurrency;

    @Option(
            names = "--ready-timeout",
            defaultValue = "300",
            description = "Seconds to wait (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds;

    @Option(names = "--force-cold", description = "Force a cold start once ready (checked).")
    boolean forceCold;

    @Option(
            names = "--detach",
            description = "Exit once deployed and leave the deployment (not for the local platform, whose instances"
                    + " end with this process).")
    boolean detach;

    @Option(
            names = "--state",
            paramLabel = "FILE",
            defaultValue = "salvo-deployment.json",
            description = "Where the deployment is recorded for 'salvo teardown' (default: ${DEFAULT-VALUE}).")
    Path state;

    /** What {@code salvo teardown} needs to find the deployment again: the driver and its settings. */
    record DeploymentState(
            @JsonProperty("platform") String platform,
            @JsonProperty("config") Map<String, String> config,
            @JsonProperty("model") String model,
            @JsonProperty("endpoint") String endpoint,
            @JsonProperty("label") String label,
            @JsonProperty("deployed_at") String deployedAt) {}

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Override
    public Integer call() {
        SalvoCli.logLevel(Level.WARNING);
        String name;
        Map<String, String> config;
        DeploymentSpec spec;
        Duration readyTimeout = Duration.ofSeconds(readyTimeoutSeconds);
        boolean cold = forceCold;
        if (planFile != null) {
            if (platform != null || model != null || !settings.isEmpty()) {
                System.err.println("salvo: give either PLAN.yaml or --platform/--set/--model, not both");
                return RunExecution.USER_ERROR;
            }
            PlanDocument document;
            try {
                document = PlanParser.parseDocument(planFile);
            } catch (PlanException e) {
                System.err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
            PlatformSection section = document.platform();
            if (section == null) {
                System.err.println("salvo: " + planFile + " has no platform section to deploy");
                return RunExecution.USER_ERROR;
            }
            name = section.platform();
            config = section.config();
            spec = section.deployment();
            readyTimeout = section.readyTimeout();
            cold |= section.forceCold();
        } else {
            if (platform == null || model == null) {
                System.err.println("salvo: give PLAN.yaml, or --platform and --model (with --set for driver settings)");
                return RunExecution.USER_ERROR;
            }
            name = platform;
            config = settings;
            spec = new DeploymentSpec(model, cpus, memory, minInstances, maxInstances, concurrency, Map.of());
        }
        if (detach && LocalPlatformDriver.NAME.equals(name)) {
            System.err.println("salvo: --detach cannot keep a local deployment: its instances end with this process");
            return RunExecution.USER_ERROR;
        }
        ModelDeployment deployment;
        try {
            deployment = ModelDeployment.deploy(name, config, spec, readyTimeout, System.out);
            if (cold) {
                deployment.forceCold(System.out);
            }
        } catch (ModelDeployment.DeploymentFailed e) {
            System.err.println("salvo: " + e.getMessage());
            return e.exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RunExecution.INTERRUPTED;
        }
        try {
            Files.writeString(
                    state,
                    JSON.writeValueAsString(new DeploymentState(
                            name,
                            config,
                            spec.model(),
                            deployment.endpoint().toString(),
                            deployment.driver().label(),
                            Instant.now().toString())));
        } catch (IOException e) {
            System.err.println("salvo: cannot write " + state + ": " + e.getMessage());
        }
        if (detach) {
            System.out.println("Left deployed; remove it with: salvo teardown --state " + state);
            return RunExecution.OK;
        }
        System.out.println("Serving until Ctrl-C (then torn down).");
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            deployment.teardown(System.out);
                            try {
                                Files.deleteIfExists(state);
                            } catch (IOException e) {
                                // the state file only helps a later teardown, which is now done
                            }
                        },
                        "salvo-deploy-teardown"));
        try {
            forever.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return RunExecution.INTERRUPTED;
    }
}
