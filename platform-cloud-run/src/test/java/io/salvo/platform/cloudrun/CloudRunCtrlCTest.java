package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.run.v2.DeleteServiceRequest;
import io.salvo.testkit.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ctrl-C on a process that deployed a service removes the service: the driver's shutdown hook tears down. */
class CloudRunCtrlCTest {

    @Test
    void sigintTearsTheServiceDown() throws Exception {
        try (FakeCloudRun fake = new FakeCloudRun()) {
            int port = fake.serveOnLoopback();
            String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process scenario = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-XX:TieredStopAtLevel=1",
                            "-XX:+UseSerialGC",
                            "-cp",
                            classpath,
                            CtrlCScenario.class.getName(),
                            Integer.toString(port))
                    .redirectErrorStream(true)
                    .start();
            try {
                BufferedReader lines =
                        new BufferedReader(new InputStreamReader(scenario.getInputStream(), StandardCharsets.UTF_8));
                CompletableFuture<String> deployed = CompletableFuture.supplyAsync(() -> {
                    StringBuilder seen = new StringBuilder();
                    try {
                        String line;
                        while ((line = lines.readLine()) != null) {
                            if (line.equals("DEPLOYED")) {
                                return line;
                            }
                            seen.append(line).append('\n');
                        }
                    } catch (java.io.IOException e) {
                        seen.append(e);
                    }
                    throw new IllegalStateException("the scenario ended before deploying:\n" + seen);
                });
                deployed.get(120, TimeUnit.SECONDS);
                assertThat(fake.services).hasSize(1);
                Thread drain = new Thread(
                        () -> {
                            try {
                                while (lines.readLine() != null) {
                                    // discard
                                }
                            } catch (java.io.IOException ignored) {
                                // the scenario ended
                            }
                        },
                        "scenario-drain");
                drain.setDaemon(true);
                drain.start();

                new ProcessBuilder("kill", "-INT", Long.toString(scenario.pid()))
                        .inheritIO()
                        .start()
                        .waitFor();

                Await.until("the service deleted after SIGINT", Duration.ofSeconds(60), fake.services::isEmpty);
                assertThat(fake.requestsOf(DeleteServiceRequest.class))
                        .extracting(DeleteServiceRequest::getName)
                        .containsExactly("projects/proj-1/locations/europe-west1/services/salvo-model-server");
                assertThat(scenario.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                scenario.destroyForcibly();
            }
        }
    }
}
