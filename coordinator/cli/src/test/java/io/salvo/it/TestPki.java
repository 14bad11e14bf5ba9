package io.salvo.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI made with the openssl command: a CA with a server certificate for 127.0.0.1 and
 * a client certificate, and a second, unrelated CA with a client certificate of its own.
 */
final class TestPki {

    final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    static boolean opensslAvailable() {
        try {
            return new ProcessBuilder("openssl", "version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static TestPki create(Path dir) throws Exception {
        TestPki pki = new TestPki(dir);
        pki.ca("ca");
        pki.ca("other-ca");
        pki.leaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        pki.leaf("client", "ca", "extendedKeyUsage=clientAuth");
        pki.leaf("intruder", "other-ca", "extendedKeyUsage=clientAuth");
        return pki;
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    private void ca(String name) throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                "-keyout", name + ".key", "-out", name + ".pem");
    }

    private void leaf(String name, String ca, String extension) throws Exception {
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".rsa.key",
                "-out", name + ".csr");
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "2", "-out", name + ".pem", "-extfile", ext(name, extension));
        // gRPC's Netty wants PKCS#8 keys
        run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", name + ".rsa.key", "-out", name + ".key");
    }

    private String ext(String name, String extension) throws IOException {
        Path file = dir.resolve(name + ".ext");
        java.nio.file.Files.writeString(file, extension + "\n");
        return file.toString();
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
    }
}
