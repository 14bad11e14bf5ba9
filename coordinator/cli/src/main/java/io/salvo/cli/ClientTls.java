package io.salvo.cli;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;

/**
 * How a client command dials a coordinator: plaintext, or TLS with the name the coordinator's certificate must carry.
 *
 * @param context the TLS client context, or null for plaintext
 * @param serverName the name to verify the certificate against (and send as SNI), or null for the dialled host
 */
record ClientTls(SslContext context, String serverName) {

    static final ClientTls PLAINTEXT = new ClientTls(null, null);

    NettyChannelBuilder configure(NettyChannelBuilder builder) {
        if (context == null) {
            return builder.usePlaintext();
        }
        builder.sslContext(context);
        if (serverName != null) {
            // Through a port-forward the dialled host is 127.0.0.1, which no coordinator certificate should name:
            // the certificate is checked against the coordinator's real name instead.
            builder.overrideAuthority(serverName);
        }
        return builder;
    }
}
