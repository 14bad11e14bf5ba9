package io.salvo.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate for "localhost" (not for 127.0.0.1), made with the JDK's own
 * keytool so the tests need nothing else: the server's PKCS12 key store, the certificate as PEM
 * and a PKCS12 trust store holding it.
 */
public record TestCertificate(Path keyStore, Path certificatePem, Path trustStore, String password) {

    public static TestCertificate create(Path dir) throws Exception {
        Path keyStore = dir.resolve("target.p12");
        Path pem = dir.resolve("target.pem");
        Path trustStore = dir.resolve("trust.p12");
        String password = "test-only";
        keytool(
                "-genkeypair",
                "-alias",
                "target",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost",
                "-validity",
                "2",
                "-keystore",
                keyStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password,
                "-keypass",
                password);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "target",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                password,
                "-file",
                pem.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "target",
                "-file",
                pem.toString(),
                "-keystore",
                trustStore.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                password);
        return new TestCertificate(keyStore, pem, trustStore, password);
    }

    private static void keytool(String... arguments) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(new File("/dev/null"))
                .start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as("keytool %s", String.join(" ", arguments))
                .isZero();
    }
}
