package io.salvo.it;

import io.salvo.testkit.Prerequisite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI made with the openssl command: a CA with a server certificate for 127.0.0.1 and
 * a client certificate, and a second, unrelated CA with a client certificate of its own; or a CA with a
 * server certificate for given DNS names only ({@link #forServerNames}).
 */
public final class TestPki {

    final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /**
     * Returns when the openssl command works. Without it the calling test is skipped, with the reason, on a
     * developer's machine; under CI (environment variable CI=true) it fails instead, so that a build agent
     * without openssl cannot pass while TLS goes untested.
     */
    public static void requireOpenssl() {
        String problem = opensslProblem();
        if (problem == null) {
            return;
        }
        Prerequisite.require(false, "openssl is needed to make test certificates, but " + problem);
    }

    /** Why {@code openssl version} does not work here, or null when it does. */
    private static String opensslProblem() {
        Process p;
        try {
            p = new ProcessBuilder("openssl", "version")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return "it could not be started: " + e.getMessage();
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "'openssl version' did not finish within 10 s";
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return "the wait for 'openssl version' was interrupted";
        }
        return p.exitValue() == 0 ? null : "'openssl version' exited with " + p.exitValue();
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

    /**
     * A CA ({@code ca.pem}) and a server certificate ({@code server.pem}, {@code server.key}) naming only
     * {@code dnsNames}: no IP address, so a client dialling a loopback address must be told the name to check.
     */
    public static TestPki forServerNames(Path dir, String... dnsNames) throws Exception {
        TestPki pki = new TestPki(dir);
        pki.ca("ca");
        pki.leaf(
                "server",
                "ca",
                "subjectAltName="
                        + String.join(
                                ",",
                                java.util.Arrays.stream(dnsNames)
                                        .map(n -> "DNS:" + n)
                                        .toList()));
        return pki;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    private void ca(String name) throws Exception {
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=" + name,
                "-keyout",
                name + ".key",
                "-out",
                name + ".pem");
    }

    private void leaf(String name, String ca, String extension) throws Exception {
        run(
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=" + name,
                "-keyout",
                name + ".rsa.key",
                "-out",
                name + ".csr");
        run(
                "openssl",
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                ca + ".pem",
                "-CAkey",
                ca + ".key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                name + ".pem",
                "-extfile",
                ext(name, extension));
        // gRPC's Netty wants PKCS#8 keys
        run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", name + ".rsa.key", "-out", name + ".key");
    }

    private String ext(String name, String extension) throws IOException {
        Path file = dir.resolve(name + ".ext");
        java.nio.file.Files.writeString(file, extension + "\n");
        return file.toString();
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
    }
}
