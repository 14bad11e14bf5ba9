package io.salvo.platform.local;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Scaling behaviours of well-known platforms, emulated on one machine. They copy the scaling rules
 * only (concurrency per instance, minimum, when to add and remove instances), not the platforms'
 * networks, schedulers or start-up machinery, and every label says so.
 */
public enum LocalProfile {

    /** One request per instance, new instances at once, scale to zero after a short idle period. */
    LAMBDA_LIKE("lambda-like", "AWS Lambda", new ScalingSettings(1, 0, 8, Duration.ZERO, Duration.ofSeconds(10))),
    /** Up to 80 concurrent requests per instance, minimum 0. */
    CLOUD_RUN_LIKE(
            "cloud-run-like", "Google Cloud Run", new ScalingSettings(80, 0, 4, Duration.ZERO, Duration.ofSeconds(15))),
    /** One replica always up, HPA-style scale-out on concurrency after a stabilization delay. */
    K8S_LIKE(
            "k8s-like",
            "a Kubernetes Deployment with an HPA",
            new ScalingSettings(8, 1, 4, Duration.ofSeconds(3), Duration.ofSeconds(30)));

    private final String profileName;
    private final String emulates;
    // ScalingSettings is a record of ints and Durations, immutable all the way down; it is not annotated @Immutable
    // only because this module does not depend on Error Prone's annotations
    @SuppressWarnings("ImmutableEnumChecker")
    private final ScalingSettings scaling;

    LocalProfile(String profileName, String emulates, ScalingSettings scaling) {
        this.profileName = profileName;
        this.emulates = emulates;
        this.scaling = scaling;
    }

    public String profileName() {
        return profileName;
    }

    /** The service whose scaling (and, for usage, billing) rules this profile copies, e.g. "AWS Lambda". */
    public String emulates() {
        return emulates;
    }

    public ScalingSettings defaultScaling() {
        return scaling;
    }

    /** e.g. "lambda-like (local emulation of AWS Lambda's scaling)". */
    public String label() {
        return profileName + " (local emulation of " + emulates + "'s scaling)";
    }

    public static LocalProfile named(String name) {
        return Arrays.stream(values())
                .filter(p -> p.profileName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown local profile '" + name + "'; known: "
                        + Arrays.stream(values()).map(LocalProfile::profileName).collect(Collectors.joining(", "))));
    }
}
