package io.salvo.cli;

import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Cluster token and TLS options shared by the commands that talk gRPC. The token comes from
 * {@code --token-file}, else {@code $SALVO_TOKEN}, else {@code ~/.salvo/cluster-token}; it is
 * never taken from the command line, where any local user could read it in the process list.
 */
final class SecurityOptions {

    static final Path DEFAULT_TOKEN_FILE = Path.of(System.getProperty("user.home"), ".salvo", "cluster-token");

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "File holding the cluster token (default: $SALVO_TOKEN, else ~/.salvo/cluster-token).")
    Path tokenFile;

    @Option(
            names = "--tls-cert",
            paramLabel = "PEM",
            description = "TLS certificate chain (server; or client certificate for mTLS).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 private key for --tls-cert.")
    Path tlsKey;

    @Option(
            names = "--tls-ca",
            paramLabel = "PEM",
            description =
                    "CA to trust (client: verifies the coordinator; coordinator: requires client certificates it signed).")
    Path tlsCa;

    /** TLS files, or null for plaintext. */
    TlsFiles tls() {
        if (tlsCert == null && tlsKey == null && tlsCa == null) {
            return null;
        }
        return new TlsFiles(tlsCert, tlsKey, tlsCa);
    }

    /** The token a worker or client sends, or null when none is configured anywhere. */
    ClusterToken clientToken() throws IOException {
        if (tokenFile != null) {
            if (!Files.isReadable(tokenFile)) {
                throw new IOException("token file not readable: " + tokenFile);
            }
            return ClusterToken.read(tokenFile);
        }
        ClusterToken fromEnv = ClusterToken.fromFileOrEnvironment(null);
        if (fromEnv != null) {
            return fromEnv;
        }
        return Files.isReadable(DEFAULT_TOKEN_FILE) ? ClusterToken.read(DEFAULT_TOKEN_FILE) : null;
    }

    /** The coordinator's token; a missing token file is created with a new random token. */
    ClusterToken serverToken(java.io.PrintStream out) throws IOException {
        if (tokenFile == null) {
            ClusterToken fromEnv = ClusterToken.fromFileOrEnvironment(null);
            if (fromEnv != null) {
                return fromEnv;
            }
        }
        Path file = tokenFile != null ? tokenFile : DEFAULT_TOKEN_FILE;
        if (Files.exists(file)) {
            return ClusterToken.read(file);
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ClusterToken token = ClusterToken.generate();
        token.writeTo(file);
        out.println("Generated a cluster token in " + file + " (give workers and clients this file)");
        return token;
    }
}
