package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The driver is found by name, and its settings are read with errors that name the key. */
class LambdaSettingsTest {

    @Test
    void theFactoryIsRegisteredUnderItsName() {
        PlatformDriver.Factory factory = PlatformDrivers.factory("aws-lambda");
        assertThat(factory.description())
                .contains("function-name", "image-uri", "zip-file", "url-auth", "provisioned-concurrency");
        PlatformDriver driver =
                factory.create(Map.of("image-uri", "123.dkr.ecr.eu-west-1.amazonaws.com/s:m", "function-name", "f"));
        assertThat(driver.label()).isEqualTo("aws-lambda f (image, x86_64)");
        driver.close(); // nothing deployed: nothing to do, no call
    }

    @Test
    void readsEveryKey() {
        LambdaSettings s = LambdaSettings.parse(Map.ofEntries(
                Map.entry("function-name", "bench"),
                Map.entry("region", "eu-west-1"),
                Map.entry("role", "arn:aws:iam::1:role/r"),
                Map.entry("zip-file", "/tmp/x.zip"),
                Map.entry("handler", "a.B::h"),
                Map.entry("runtime", "java21"),
                Map.entry("memory-mb", "3008"),
                Map.entry("ephemeral-storage-mb", "1024"),
                Map.entry("timeout-s", "30"),
                Map.entry("architecture", "ARM64"),
                Map.entry("env", "A=1, B = x=y ,"),
                Map.entry("access", "invoke"),
                Map.entry("url-auth", "aws_iam"),
                Map.entry("snapstart", "true"),
                Map.entry("provisioned-concurrency", "0"),
                Map.entry("keep", "true"),
                Map.entry("endpoint", "http://127.0.0.1:4566"),
                Map.entry("log-group", "/salvo/bench"),
                Map.entry("ready-timeout-ms", "1000"),
                Map.entry("model-bytes", "123"),
                Map.entry("max-attempts", "5"),
                Map.entry("gpus", "0")));
        assertThat(s.packageType()).isEqualTo(LambdaSettings.PackageType.ZIP);
        assertThat(s.zipFile()).isEqualTo(Path.of("/tmp/x.zip"));
        assertThat(s.architecture()).isEqualTo("arm64");
        assertThat(s.env()).containsExactlyInAnyOrderEntriesOf(Map.of("A", "1", "B", "x=y"));
        assertThat(s.access()).isEqualTo(LambdaSettings.Access.INVOKE);
        assertThat(s.urlAuth()).isEqualTo("AWS_IAM");
        assertThat(s.snapStart()).isTrue();
        assertThat(s.publishesVersion()).isTrue();
        assertThat(s.keep()).isTrue();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.readyTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.modelBytes()).isEqualTo(123L);
        assertThat(s.maxAttempts()).isEqualTo(5);
    }

    @Test
    void malformedSettingsNameTheirKey() {
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of()))
                .hasMessage("aws-lambda: set 'image-uri' (container image in ECR) or 'zip-file' (deployment package)");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("package-type", "zip", "image-uri", "x")))
                .hasMessage("aws-lambda: package-type zip needs 'zip-file'");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "architecture", "riscv")))
                .hasMessageContaining("'architecture' must be x86_64 or arm64");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "url-auth", "IAM")))
                .hasMessageContaining("'url-auth' must be NONE or AWS_IAM");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "access", "sqs")))
                .hasMessageContaining("'access' must be one of url, invoke, got 'sqs'");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "memory-mb", "lots")))
                .hasMessageContaining("'memory-mb' must be an integer");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "keep", "yes")))
                .hasMessageContaining("'keep' must be true or false");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "env", "1BAD=x")))
                .hasMessageContaining("'env' must be NAME=value pairs");
        assertThatThrownBy(() -> LambdaSettings.parse(Map.of("image-uri", "x", "memory", "512")))
                .hasMessageContaining("unknown setting(s) [memory]");
    }
}
