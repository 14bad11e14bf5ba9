package io.salvo.modelserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The server as a child process, the way the local serverless emulator runs it: PORT=0 and SALVO_MODEL set, ready
 * when the SALVO_READY line appears. Two starts are two instances: different ids, each starting its sequence at 1.
 */
class ProcessRestartTest {

    private static final Pattern READY =
            Pattern.compile("SALVO_READY port=(\\d+) instance=(\\S+) model=(\\S+) model_load_ms=(\\d+)");

    record Child(Process process, int port, String instance) {}

    private static Child start() throws Exception {
        TestModels.prepared("tabular-logreg");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.salvo.modelserver.ModelServerMain")
                .redirectError(TestModels.CACHE
                        .resolveSibling("model-server-child.log")
                        .toFile());
        builder.environment().put("PORT", "0");
        builder.environment().put("SALVO_MODEL", "tabular-logreg");
        builder.environment().put("SALVO_MODEL_DIR", TestModels.CACHE.toString());
        Process process = builder.start();
        BufferedReader stdout =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
                    try {
                        return stdout.readLine();
                    } catch (Exception e) {
                        return null;
                    }
                })
                .get(60, TimeUnit.SECONDS);
        assertThat(line).as("first stdout line").isNotNull();
        Matcher matcher = READY.matcher(line);
        assertThat(matcher.find()).as(line).isTrue();
        assertThat(matcher.group(3)).isEqualTo("tabular-logreg");
        return new Child(process, Integer.parseInt(matcher.group(1)), matcher.group(2));
    }

    private static void stop(Child child) throws Exception {
        child.process().destroy();
        assertThat(child.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void instanceIdChangesAcrossRestartsAndSequenceStartsAtOne() throws Exception {
        String body = "{\"inputs\":[[0,0,0,0,0,0,0,0]]}";
        Child first = start();
        HttpResponse<String> a1;
        HttpResponse<String> a2;
        try {
            assertThat(TestModels.get("http://127.0.0.1:" + first.port() + "/v2/health/ready")
                            .statusCode())
                    .isEqualTo(200);
            a1 = TestModels.post("http://127.0.0.1:" + first.port() + "/v2/models/tabular-logreg/predict", body);
            a2 = TestModels.post("http://127.0.0.1:" + first.port() + "/v2/models/tabular-logreg/predict", body);
        } finally {
            stop(first);
        }
        Child second = start();
        HttpResponse<String> b1;
        try {
            b1 = TestModels.post("http://127.0.0.1:" + second.port() + "/v2/models/tabular-logreg/predict", body);
        } finally {
            stop(second);
        }
        assertThat(a1.headers().firstValue("Salvo-Instance-Id")).contains(first.instance());
        assertThat(b1.headers().firstValue("Salvo-Instance-Id")).contains(second.instance());
        assertThat(second.instance()).isNotEqualTo(first.instance());
        assertThat(a1.headers().firstValue("Salvo-Instance-Request-Seq")).contains("1");
        assertThat(a2.headers().firstValue("Salvo-Instance-Request-Seq")).contains("2");
        assertThat(b1.headers().firstValue("Salvo-Instance-Request-Seq")).contains("1");
        long startedFirst = Long.parseLong(
                a1.headers().firstValue("Salvo-Instance-Started-At").orElseThrow());
        long startedSecond = Long.parseLong(
                b1.headers().firstValue("Salvo-Instance-Started-At").orElseThrow());
        assertThat(startedSecond).isGreaterThan(startedFirst);
        assertThat(b1.body()).isEqualTo(a1.body());
        // ONNX Runtime's native libraries were extracted once into the model directory, not per start
        try (var natives = java.nio.file.Files.list(TestModels.CACHE.resolve(".native"))) {
            assertThat(natives.map(p -> p.getFileName().toString())).anyMatch(name -> name.startsWith("onnxruntime-"));
        }
    }
}
