package io.salvo.core.security;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * TLS material from PEM files, for the gRPC port. On the server: a certificate chain and key, and
 * with a trusted CA file, mutual TLS (clients must present a certificate that CA signed). On a
 * client: the CA to trust, and for mutual TLS its own certificate and key.
 *
 * @param certificateChain PEM certificate chain (server: required; client: for mTLS)
 * @param privateKey PEM PKCS#8 private key matching the chain
 * @param trustedCa PEM CA certificates to trust (server: enables mTLS; client: verifies the server)
 */
public record TlsFiles(Path certificateChain, Path privateKey, Path trustedCa) {

    public SslContext serverContext() throws IOException {
        if (certificateChain == null || privateKey == null) {
            throw new IOException("TLS on the coordinator needs --tls-cert and --tls-key");
        }
        check(certificateChain, "certificate");
        check(privateKey, "private key");
        SslContextBuilder builder = GrpcSslContexts.forServer(certificateChain.toFile(), privateKey.toFile());
        if (trustedCa != null) {
            check(trustedCa, "client CA");
            builder.trustManager(trustedCa.toFile()).clientAuth(ClientAuth.REQUIRE);
        }
        return build(builder);
    }

    public SslContext clientContext() throws IOException {
        SslContextBuilder builder = GrpcSslContexts.forClient();
        if (trustedCa != null) {
            check(trustedCa, "CA");
            builder.trustManager(trustedCa.toFile());
        }
        if (certificateChain != null || privateKey != null) {
            if (certificateChain == null || privateKey == null) {
                throw new IOException("a client certificate needs both --tls-cert and --tls-key");
            }
            check(certificateChain, "certificate");
            check(privateKey, "private key");
            builder.keyManager(certificateChain.toFile(), privateKey.toFile());
        }
        return build(builder);
    }

    private static SslContext build(SslContextBuilder builder) throws IOException {
        try {
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use the TLS files: " + e.getMessage(), e);
        }
    }

    private static void check(Path file, String what) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("TLS " + what + " file not readable: " + file);
        }
    }
}
