package io.salvo.worker.link;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.core.link.ReportResend;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.proto.v1.WorkerLinkGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The worker's way to a coordinator: the configured addresses in turn, each attempt on a fresh gRPC channel (TLS and
 * the cluster token as the options say), and the exponential backoff between attempts (100 ms doubling to 5 s, back
 * to 100 ms once a coordinator welcomes the worker).
 *
 * <p>Confined to the agent's link thread.
 */
final class CoordinatorDialer implements AutoCloseable {

    private static final long MIN_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final WorkerOptions options;
    private ManagedChannel channel;
    private int nextAddress;
    private long backoffMillis = MIN_BACKOFF_MILLIS;

    CoordinatorDialer(WorkerOptions options) {
        this.options = options;
    }

    /** The coordinator to try next: the configured addresses round-robin. */
    InetSocketAddress nextAddress() {
        InetSocketAddress address = options.coordinators().get(nextAddress);
        nextAddress = (nextAddress + 1) % options.coordinators().size();
        return address;
    }

    /**
     * A stub on a new channel to {@code address}; the previous attempt's channel is shut down first.
     *
     * @throws IOException when the TLS settings cannot be read (retrying would not fix that)
     */
    WorkerLinkGrpc.WorkerLinkStub dial(InetSocketAddress address) throws IOException {
        if (channel != null) {
            channel.shutdownNow();
        }
        // By host name, not by socket address: the name is resolved on every (re)connect, so a
        // coordinator that moved (a Kubernetes Service, a fail-over) is found again.
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
                // A coordinator that vanishes without closing the connection (host down) is noticed
                // within keepalive time + timeout; the coordinator permits keepalives that often.
                .keepAliveTime(ReportResend.KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(ReportResend.KEEPALIVE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)
                .maxInboundMessageSize(16 * 1024 * 1024);
        if (options.tls() != null) {
            builder.sslContext(options.tls().clientContext());
            if (options.tlsServerName() != null) {
                // Dialled by address or through a load balancer's name: the certificate is checked against the
                // coordinator's own name instead (and that name is sent as SNI).
                builder.overrideAuthority(options.tlsServerName());
            }
        } else {
            builder.usePlaintext();
        }
        channel = builder.build();
        WorkerLinkGrpc.WorkerLinkStub stub = WorkerLinkGrpc.newStub(channel);
        return options.token() == null ? stub : stub.withCallCredentials(new BearerTokenCredentials(options.token()));
    }

    /** How long to wait before the next attempt. */
    long backoffMillis() {
        return backoffMillis;
    }

    /** The wait before the next attempt; the one after it is twice as long, up to the maximum. */
    long nextBackoffMillis() {
        long wait = backoffMillis;
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        return wait;
    }

    /** A coordinator welcomed the worker: the next outage starts again from the shortest wait. */
    void resetBackoff() {
        backoffMillis = MIN_BACKOFF_MILLIS;
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
