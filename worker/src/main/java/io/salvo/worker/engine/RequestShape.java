package io.salvo.worker.engine;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.resolver.AddressResolverGroup;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.worker.http.ConnectionPool;
import io.salvo.worker.http.EncodedRequests;
import io.salvo.worker.http.HeaderSelection;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A run's HTTP traffic, prepared once and shared by its lanes: the encoded requests in rotation,
 * the response headers read per response (the detectors' instance headers and the plan's captured
 * ones) and what each lane needs to open its connections (the Vert.x instance's transport and
 * resolver, and for https targets a TLS context trusting the plan's CAs, or else the JVM's default ones).
 *
 * <p>Header sets that change during the run (signatures, tokens) arrive as a higher generation; the requests are then
 * encoded again on the caller's thread and swapped in, so a lane's send stays one read of a volatile field and a
 * buffer duplicate.
 */
final class RequestShape implements AutoCloseable {

    /** Headers the model-server sends on every response; read per response for the detectors' marks. */
    static final String INSTANCE_ID_HEADER = "Salvo-Instance-Id";

    static final String INSTANCE_REQUEST_SEQ_HEADER = "Salvo-Instance-Request-Seq";
    static final String MODEL_LOAD_MS_HEADER = "Salvo-Model-Load-Ms";

    private final RequestTemplate template;
    /**
     * The current requests. Volatile: lanes read it once per request on their event loops, and {@link #replaceHeaders}
     * swaps it from the link thread; a lane sees either the old or the new generation, both complete.
     */
    private volatile EncodedRequests requests;
    /** Guarded by this: the generation of {@link #requests}' header sets. */
    private long headerGeneration;
    /** Guarded by this: replaced requests not yet freed (a lane may still be writing one). */
    private final List<EncodedRequests> retired = new ArrayList<>();
    /** Guarded by this: set by {@link #close}; later replacements are refused. */
    private boolean closed;

    private final HeaderSelection selection;
    private final int instanceIdIndex;
    private final int instanceRequestSeqIndex;
    private final int modelLoadIndex;
    private final int[] capturedIndexes;
    private final ChannelFactory<? extends Channel> channels;
    private final AddressResolverGroup<?> resolver;
    private final SslContext tls;

    RequestShape(Vertx vertx, RequestTemplate template, List<String> capturedHeaders) {
        this.template = template;
        this.requests = EncodedRequests.of(template);
        this.headerGeneration = template.getHeaderSets().getGeneration();
        List<String> names =
                new ArrayList<>(List.of(INSTANCE_ID_HEADER, INSTANCE_REQUEST_SEQ_HEADER, MODEL_LOAD_MS_HEADER));
        names.addAll(capturedHeaders);
        this.selection = HeaderSelection.of(names);
        this.instanceIdIndex = selection.indexOf(INSTANCE_ID_HEADER);
        this.instanceRequestSeqIndex = selection.indexOf(INSTANCE_REQUEST_SEQ_HEADER);
        this.modelLoadIndex = selection.indexOf(MODEL_LOAD_MS_HEADER);
        this.capturedIndexes =
                capturedHeaders.stream().mapToInt(selection::indexOf).toArray();
        VertxInternal internal = (VertxInternal) vertx;
        this.channels = internal.transport().channelFactory(false);
        this.resolver = internal.nameResolver().nettyAddressResolverGroup();
        try {
            this.tls = requests.target().tls()
                    ? tls(template.getTrustedCaCertificatesPem().toByteArray())
                    : null;
        } catch (RuntimeException e) {
            requests.close();
            throw e;
        }
    }

    private static SslContext tls(byte[] trustedCaPem) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            if (trustedCaPem.length > 0) {
                builder.trustManager(new ByteArrayInputStream(trustedCaPem));
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS for the https target: " + e.getMessage(), e);
        }
    }

    /** A lane's connections to the target, on its event loop. */
    ConnectionPool newPool(
            EventLoop eventLoop, int maxConnections, long connectTimeoutMillis, long keepAliveTimeoutNanos) {
        return new ConnectionPool(
                eventLoop,
                channels,
                resolver,
                requests.target(),
                tls,
                selection,
                requests.headRequests(),
                new ConnectionPool.Settings(maxConnections, connectTimeoutMillis, keepAliveTimeoutNanos));
    }

    /** The request for this worker's request number {@code sequence} (bodies in rotation). */
    ByteBuf request(long sequence) {
        return requests.request(sequence);
    }

    /**
     * Encodes the requests again with {@code headerSets} and swaps them in, if their generation is above the current
     * one; off the hot path (the caller's thread). The replaced requests are freed {@code releaseAfterNanos} later, by
     * when no lane can still be writing them, or at {@link #close}.
     *
     * @return whether the sets were applied (false: not a higher generation, or closed)
     * @throws IllegalArgumentException when a header is malformed; the current requests stay in place
     */
    boolean replaceHeaders(RequestHeaderSets headerSets, long releaseAfterNanos) {
        EncodedRequests replaced;
        synchronized (this) {
            if (closed || headerSets.getGeneration() <= headerGeneration) {
                return false;
            }
            EncodedRequests fresh = EncodedRequests.of(template, headerSets);
            replaced = requests;
            requests = fresh;
            headerGeneration = headerSets.getGeneration();
            retired.add(replaced);
        }
        CompletableFuture.delayedExecutor(releaseAfterNanos, TimeUnit.NANOSECONDS)
                .execute(() -> release(replaced));
        return true;
    }

    /** The generation of the header sets the current requests carry (0: none). */
    synchronized long headerGeneration() {
        return headerGeneration;
    }

    private synchronized void release(EncodedRequests replaced) {
        if (retired.remove(replaced)) {
            replaced.close();
        }
    }

    /** The plan's captured headers' values, in the plan's order, from a response's selected values. */
    String[] capturedValues(String[] selected) {
        if (capturedIndexes.length == 0) {
            return null;
        }
        String[] values = new String[capturedIndexes.length];
        if (selected != null) {
            for (int i = 0; i < values.length; i++) {
                values[i] = selected[capturedIndexes[i]];
            }
        }
        return values;
    }

    String instanceId(String[] selected) {
        return selected == null ? null : selected[instanceIdIndex];
    }

    String instanceRequestSeq(String[] selected) {
        return selected == null ? null : selected[instanceRequestSeqIndex];
    }

    String modelLoadMillis(String[] selected) {
        return selected == null ? null : selected[modelLoadIndex];
    }

    /** Frees the encoded requests; after every lane's connections closed. */
    @Override
    public synchronized void close() {
        closed = true;
        requests.close();
        retired.forEach(EncodedRequests::close);
        retired.clear();
    }
}
