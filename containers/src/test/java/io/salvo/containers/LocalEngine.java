package io.salvo.containers;

import io.salvo.testkit.Prerequisite;
import org.testcontainers.DockerClientFactory;

/** The Docker engine these tests need, and the images 'mvn package' built into it. */
final class LocalEngine {

    private LocalEngine() {}

    /** Skips (fails under CI) unless an engine answers and holds {@code image}. */
    static void requireImage(String image) {
        boolean engine;
        try {
            engine = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            engine = false;
        }
        Prerequisite.require(engine, "a Docker engine (DOCKER_HOST): .ci/run starts one (docker.io, --bridge=none)");
        boolean present;
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            present = true;
        } catch (RuntimeException e) {
            present = false;
        }
        Prerequisite.require(
                present,
                "the image " + image + ": built by 'mvn package' when SALVO_IMAGE_BASE is set"
                        + " (deploy/images/build-local-base.sh, then SALVO_IMAGE_BASE=docker://salvo-base:local)");
    }
}
