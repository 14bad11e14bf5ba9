package io.salvo.platform.local;

import io.salvo.platform.DeploymentSpec;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A stand-in for the CLI, run in its own JVM by {@link NoOrphansTest}: deploys the local platform with two
 * always-on fake instances, prints {@code INSTANCE_PIDS <pid> <pid>}, and waits to be killed.
 */
public final class OrphanScenario {

    private OrphanScenario() {}

    public static void main(String[] args) throws Exception {
        LocalPlatformDriver driver =
                new LocalPlatformDriver(LocalPlatformDriver.Settings.of(LocalProfile.K8S_LIKE, FakeInstances.launcher())
                        .withScaling(new ScalingSettings(8, 2, 2, Duration.ZERO, Duration.ofMinutes(5))));
        driver.deploy(new DeploymentSpec("fake", 1, 128, null, null, null, Map.of("FAKE_MODEL_LOAD_MS", "50")));
        driver.awaitReady(Duration.ofSeconds(30));
        String pids = ProcessHandle.current()
                .children()
                .map(p -> Long.toString(p.pid()))
                .collect(Collectors.joining(" "));
        System.out.println("INSTANCE_PIDS " + pids);
        System.out.flush();
        Thread.currentThread().join();
    }
}
