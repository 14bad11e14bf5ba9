package io.salvo.plan;

import io.salvo.platform.DeploymentSpec;
import java.time.Duration;
import java.util.Map;

/**
 * A plan's {@code platform} section: which driver deploys the model before the run, with which settings and
 * deployment, and whether the run starts from a forced cold start. {@code salvo run} deploys through it, points the
 * plan's target path at the deployment's endpoint, and tears it down afterwards.
 *
 * @param platform     driver name ({@code PlatformDrivers.factory})
 * @param config       the driver's settings, as strings
 * @param deployment   what to deploy
 * @param forceCold    force a cold start (verified) before the run
 * @param keep         leave the deployment in place after the run
 * @param readyTimeout how long the deployment may take to become ready
 * @param file         the plan file, for messages
 * @param line         1-based line of the section, for messages
 */
public record PlatformSection(
        String platform,
        Map<String, String> config,
        DeploymentSpec deployment,
        boolean forceCold,
        boolean keep,
        Duration readyTimeout,
        String file,
        int line) {

    public PlatformSection {
        config = Map.copyOf(config);
    }
}
