package io.salvo.cli;

import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code salvo teardown} (also {@code salvo undeploy model}): removes a model deployment that {@code salvo deploy
 * model --detach} or {@code salvo bench --keep} left, by creating its driver again with the same settings and asking
 * it to tear down. That finds the deployment only for drivers that name what they create from their settings (the
 * cloud drivers do); the local platform's instances never outlive the process that started them.
 */
@Command(
        name = "teardown",
        mixinStandardHelpOptions = true,
        description = {
            "Removes a model deployment left by 'salvo deploy model --detach' (its --state file) or described by"
                    + " --platform and --set: the driver is created again with the same settings and tears down what"
                    + " those settings name.",
            "Not for Salvo's worker Jobs: that is 'salvo undeploy workers'."
        })
class TeardownCommand implements Callable<Integer> {

    @Option(
            names = "--state",
            paramLabel = "FILE",
            description = "The state file 'salvo deploy model' wrote (default: salvo-deployment.json when present).")
    Path state;

    @Option(names = "--platform", paramLabel = "NAME", description = "The platform driver (instead of a state file).")
    String platform;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A driver setting (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    /** {@code salvo undeploy model}: the same command under the undeploy parent. */
    @Command(
            name = "model",
            mixinStandardHelpOptions = true,
            description = "Removes a model deployment: the same as 'salvo teardown' (see its --help).")
    static final class UndeployModel extends TeardownCommand {}

    @Override
    public Integer call() {
        SalvoCli.logLevel(Level.WARNING);
        String name = platform;
        Map<String, String> config = settings;
        Path stateFile = state;
        if (name == null) {
            stateFile = state != null ? state : Path.of("salvo-deployment.json");
            if (!Files.isRegularFile(stateFile)) {
                System.err.println("salvo: no deployment state at " + stateFile + "; give --state FILE, or --platform"
                        + " and --set");
                return RunExecution.USER_ERROR;
            }
            try {
                DeployModelCommand.DeploymentState recorded =
                        DeployModelCommand.JSON.readValue(stateFile.toFile(), DeployModelCommand.DeploymentState.class);
                name = recorded.platform();
                config = recorded.config();
            } catch (IOException e) {
                System.err.println("salvo: " + stateFile + " is not a deployment state file: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
        }
        PlatformDriver driver;
        try {
            driver = PlatformDrivers.factory(name).create(config);
        } catch (IllegalArgumentException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        System.out.println("Tearing down what " + driver.label() + " finds from its settings...");
        driver.teardown();
        if (stateFile != null) {
            try {
                Files.deleteIfExists(stateFile);
            } catch (IOException e) {
                System.err.println("salvo: could not remove " + stateFile + ": " + e.getMessage());
            }
        }
        System.out.println("Done.");
        return RunExecution.OK;
    }
}
