package io.salvo.cli;

import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(
        name = "platforms",
        mixinStandardHelpOptions = true,
        description = "Lists the platform drivers this salvo has (found on its class path), with what each needs:"
                + " the names to use in a matrix file, a plan's platform section or 'salvo deploy model'.")
final class PlatformsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        List<PlatformDriver.Factory> factories = PlatformDrivers.factories();
        if (factories.isEmpty()) {
            System.out.println("No platform driver found on the class path.");
            return RunExecution.OK;
        }
        int width = factories.stream().mapToInt(f -> f.name().length()).max().orElse(0);
        for (PlatformDriver.Factory factory : factories) {
            System.out.printf("%-" + width + "s  %s%n", factory.name(), factory.description());
        }
        System.out.println();
        System.out.println("Settings go in a matrix cell's or a plan platform section's 'config', or after"
                + " 'salvo deploy model --platform NAME --set key=value'. Platform guides: docs/platforms/.");
        return RunExecution.OK;
    }
}
