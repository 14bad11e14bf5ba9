package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalWorkersTest {

    @Test
    void noSslPropertiesNoArgumentFile(@TempDir Path dir) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("java.version", "17");
        assertThat(LocalWorkers.sslArgumentFile(properties, dir)).isNull();
    }

    @Test
    void sslPropertiesReachAJvmThroughAPrivateArgumentFile(@TempDir Path dir) throws Exception {
        Properties properties = new Properties();
        properties.setProperty(
                "javax.net.ssl.trustStore",
                dir.resolve("my \"trust\" store.p12").toString());
        properties.setProperty("javax.net.ssl.trustStorePassword", "pa\\ss word");
        properties.setProperty("user.name", "not forwarded");
        Path file = LocalWorkers.sslArgumentFile(properties, dir);

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(file)).doesNotContain("user.name");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process jvm = new ProcessBuilder(java.toString(), "@" + file, "-XshowSettings:properties", "-version")
                .redirectErrorStream(true)
                .start();
        String settings = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(settings)
                .contains("javax.net.ssl.trustStore = " + dir.resolve("my \"trust\" store.p12"))
                .contains("javax.net.ssl.trustStorePassword = pa\\ss word");
    }
}
