package io.salvo.platform.local;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** Launches {@link FakeModelInstance} the way the real model-server is launched, under ParentWatch. */
final class FakeInstances {

    private FakeInstances() {}

    static InstanceLauncher launcher() {
        Path testClasses;
        try {
            testClasses = Path.of(FakeModelInstance.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        // a tiny JDK-only program: skip the optimizing compiler and use the smallest GC to start fast on 2 cores
        return new JavaMainLauncher(
                JavaMainLauncher.currentJava(),
                List.of(testClasses),
                FakeModelInstance.class.getName(),
                List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss256k"));
    }
}
