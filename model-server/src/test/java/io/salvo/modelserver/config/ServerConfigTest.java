package io.salvo.modelserver.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {

    @Test
    void defaultsBindToLoopback() {
        ServerConfig config = ServerConfig.fromEnvironment(Map.of());
        assertThat(config.bindHost()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.modelName()).isEqualTo("minilm");
        assertThat(config.modelDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "salvo", "models"));
        assertThat(config.intraOpThreads()).isEqualTo(1);
        assertThat(config.maxConcurrent()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void containerPlatformsBindToAllInterfacesUnlessSalvoBindSaysOtherwise() {
        assertThat(ServerConfig.fromEnvironment(Map.of("K_SERVICE", "salvo")).bindHost())
                .isEqualTo("0.0.0.0");
        assertThat(ServerConfig.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"))
                        .bindHost())
                .isEqualTo("0.0.0.0");
        assertThat(ServerConfig.fromEnvironment(Map.of("K_SERVICE", "salvo", "SALVO_BIND", "127.0.0.1"))
                        .bindHost())
                .isEqualTo("127.0.0.1");
        // PORT alone (the local emulator sets it) keeps loopback
        assertThat(ServerConfig.fromEnvironment(Map.of("PORT", "9000")).bindHost())
                .isEqualTo("127.0.0.1");
    }

    @Test
    void readsEveryVariable() {
        ServerConfig config = ServerConfig.fromEnvironment(Map.ofEntries(
                Map.entry("PORT", "9001"),
                Map.entry("SALVO_MODEL", "bert-base-shape"),
                Map.entry("SALVO_MODEL_DIR", "/models"),
                Map.entry("SALVO_INTRA_OP_THREADS", "2"),
                Map.entry("SALVO_INTER_OP_THREADS", "3"),
                Map.entry("SALVO_INTRA_OP_SPINNING", "true"),
                Map.entry("SALVO_MAX_CONCURRENT", "4"),
                Map.entry("SALVO_QUEUE_CAPACITY", "0"),
                Map.entry("SALVO_MAX_BODY_BYTES", "1000"),
                Map.entry("SALVO_REQUEST_TIMEOUT_MS", "500"),
                Map.entry("SALVO_MAX_BATCH", "8")));
        assertThat(config)
                .isEqualTo(new ServerConfig(
                        "127.0.0.1",
                        "default (loopback only)",
                        9001,
                        "bert-base-shape",
                        Path.of("/models"),
                        2,
                        3,
                        true,
                        4,
                        0,
                        1000,
                        500,
                        8));
    }

    @Test
    void malformedValuesAreNamed() {
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("PORT", "http")))
                .hasMessageContaining("PORT must be an integer, got 'http'");
        assertThatThrownBy(() -> ServerConfig.fromEnvironment(Map.of("SALVO_MAX_CONCURRENT", "0")))
                .hasMessageContaining("SALVO_MAX_CONCURRENT must be > 0");
    }
}
