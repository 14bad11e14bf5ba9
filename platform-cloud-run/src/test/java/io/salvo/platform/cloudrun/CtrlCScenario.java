package io.salvo.platform.cloudrun;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.util.Map;

/**
 * A process that deploys through the factory-made driver to the fake API at {@code 127.0.0.1:<args[0]>}, says
 * {@code DEPLOYED}, then waits to be interrupted: {@link CloudRunCtrlCTest} sends it SIGINT, as Ctrl-C does.
 */
public final class CtrlCScenario {

    private CtrlCScenario() {}

    public static void main(String[] args) throws Exception {
        PlatformDriver driver = PlatformDrivers.factory("cloud-run")
                .create(Map.of(
                        "project", "proj-1",
                        "region", "europe-west1",
                        "image", "img",
                        "invoker", "public",
                        "endpoint", "127.0.0.1:" + args[0],
                        "operation-poll-ms", "5"));
        driver.deploy(DeploymentSpec.of("minilm"));
        System.out.println("DEPLOYED");
        System.out.flush();
        while (true) {
            Thread.sleep(60_000);
        }
    }
}
