package io.salvo.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The model server's image as a platform runs it: non-root, read-only root filesystem with a writable {@code /tmp},
 * one CPU and 1 GiB, the port from {@code PORT}. Its baked-in model loads without preparing, the probes' endpoints
 * answer, and a prediction carries the instance headers Salvo's cold-start detection reads.
 */
class ModelServerImageTest {

    private static final String IMAGE =
            System.getProperty("salvo.model-server.image", "salvo/salvo-model-server:0.1.0-SNAPSHOT-minilm");
    private static final String MODEL = System.getProperty("salvo.model-server.model", "minilm");
    private static final Pattern READY = Pattern.compile(
            "SALVO_READY port=(\\d+) instance=(\\S+) model=(\\S+) model_load_ms=\\d+ .*prepare_ms=(\\d+)");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private GenericContainer<?> server;

    @BeforeEach
    void requireImage() {
        LocalEngine.requireImage(IMAGE);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void servesItsBakedModelReadOnlyAsNonRootWithProbesAndInstanceHeaders() throws Exception {
        int port = freePort();
        server = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                .withEnv("PORT", Integer.toString(port))
                .waitingFor(Wait.forLogMessage(".*SALVO_READY.*", 1).withStartupTimeout(Duration.ofSeconds(120)))
                .withCreateContainerCmdModifier(cmd -> cmd.withName("salvo-test-model-server-"
                                + ProcessHandle.current().pid())
                        .getHostConfig()
                        .withReadonlyRootfs(true)
                        // exec: Netty and ONNX Runtime load native libraries they unpack here.
                        .withTmpFs(Map.of("/tmp", "rw,exec,size=128m"))
                        .withNanoCPUs(1_000_000_000L)
                        .withMemory(1024L * 1024 * 1024));
        server.start();

        InspectContainerResponse info = server.getContainerInfo();
        assertThat(info.getConfig().getUser()).isEqualTo("65532:65532");
        String logs = server.getLogs();
        Matcher ready = READY.matcher(logs);
        assertThat(ready.find()).as(logs).isTrue();
        assertThat(ready.group(1)).isEqualTo(Integer.toString(port));
        assertThat(ready.group(3)).isEqualTo(MODEL);
        assertThat(ready.group(4))
                .as("the model is baked in: nothing to prepare")
                .isEqualTo("0");
        assertThat(logs).as("Netty's native transport loads from /tmp").doesNotContain("epoll transport unavailable");

        String base = "http://127.0.0.1:" + port;
        assertThat(get(base + "/v2/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> readiness = get(base + "/v2/health/ready");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"ready\":true");

        HttpResponse<String> prediction = http.send(
                HttpRequest.newBuilder(URI.create(base + "/v2/models/" + MODEL + "/predict"))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":[\"where should this model run?\"]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(prediction.statusCode()).as(prediction.body()).isEqualTo(200);
        assertThat(prediction.headers().firstValue("Salvo-Instance-Id")).contains(ready.group(2));
        assertThat(prediction.headers().firstValue("Salvo-Model-Load-Ms")).isPresent();
        assertThat(prediction.body()).contains("\"predictions\"");
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
