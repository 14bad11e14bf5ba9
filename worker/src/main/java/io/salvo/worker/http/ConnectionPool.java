package io.salvo.worker.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The HTTP/1.1 connections of one engine lane to the run's target, all on the lane's event loop.
 *
 * <p>Idle connections are reused most-recently-used first, so under a falling rate the
 * least-used ones stay idle long enough to close after the keep-alive timeout. An exchange that
 * finds no idle connection waits, in arrival order, and a new connection is opened for it while
 * fewer than the maximum are open; whichever connection becomes usable first (a new one, or one
 * whose exchange finished) takes the oldest waiting exchange. A failed connect fails the oldest
 * waiting exchange, so every connection error is counted once, against one request.
 *
 * <p>Names are resolved through the given resolver at each connect (Vert.x's asynchronous
 * resolver in the engine), never on the event loop. With TLS the connection is usable once the
 * handshake succeeded; the server's certificate is verified against the host name (HTTPS
 * endpoint identification), with SNI.
 *
 * <p>Not thread-safe: every method must be called on the pool's event loop.
 */
public final class ConnectionPool {

    /**
     * How many connections, and how long they wait.
     *
     * @param maxConnections        connections open or opening at most
     * @param connectTimeoutMillis  TCP connect timeout (the TLS handshake is not bounded by it)
     * @param keepAliveTimeoutNanos an idle connection is closed after this long
     */
    public record Settings(int maxConnections, long connectTimeoutMillis, long keepAliveTimeoutNanos) {}

    /** Hears how long each new connection took to be made; called on the pool's event loop. */
    public interface ConnectionTimings {
        /** A TCP connect succeeded {@code nanos} after it began (name resolution included). */
        void connected(long nanos);

        /** A TLS handshake succeeded {@code nanos} after its TCP connect completed. */
        void handshaken(long nanos);
    }

    private static final ConnectionTimings NO_TIMINGS = new ConnectionTimings() {
        @Override
        public void connected(long nanos) {}

        @Override
        public void handshaken(long nanos) {}
    };

    private final EventLoop eventLoop;
    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final int maxConnections;
    private final long keepAliveTimeoutNanos;
    /** Most recently used first. */
    private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();

    private final ArrayDeque<HttpExchange> waiting = new ArrayDeque<>();
    private final Set<Http1Connection> usable = new HashSet<>();
    private final Runnable idleSweepTask = this::closeExpiredIdle;
    private ScheduledFuture<?> idleSweep;
    /** Open or opening. */
    private int open;

    private int connecting;
    private long opened;
    private boolean closed;
    private ConnectionTimings timings = NO_TIMINGS;

    /**
     * @param channels  the transport's channel factory (epoll or NIO, matching the event loop)
     * @param resolver  name resolution for connects
     * @param tls       client TLS context, or null for plain HTTP; used only when the target is https
     * @param selection the response headers whose values exchanges receive
     */
    public ConnectionPool(
            EventLoop eventLoop,
            ChannelFactory<? extends Channel> channels,
            AddressResolverGroup<?> resolver,
            HttpTarget target,
            SslContext tls,
            HeaderSelection selection,
            boolean headRequests,
            Settings settings) {
        if (target.tls() && tls == null) {
            throw new IllegalArgumentException("an https target needs a TLS context");
        }
        this.eventLoop = eventLoop;
        this.address = target.unresolvedAddress();
        this.maxConnections = Math.max(1, settings.maxConnections());
        this.keepAliveTimeoutNanos = settings.keepAliveTimeoutNanos();
        SslContext effectiveTls = target.tls() ? tls : null;
        this.bootstrap = new Bootstrap()
                .group(eventLoop)
                .channelFactory(channels)
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, settings.connectTimeoutMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (effectiveTls != null) {
                            channel.pipeline().addLast(sslHandler(effectiveTls, channel, target));
                        }
                        channel.pipeline()
                                .addLast(new Http1Connection(
                                        ConnectionPool.this, new ResponseParser(selection), headRequests));
                    }
                });
    }

    private static SslHandler sslHandler(SslContext tls, Channel channel, HttpTarget target) {
        SslHandler handler = tls.newHandler(channel.alloc(), target.host(), target.port());
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return handler;
    }

    /** Where the connect and handshake times of new connections go (by default nowhere). */
    public void timings(ConnectionTimings timings) {
        this.timings = timings;
    }

    /** The exchange that has waited longest for a connection, or null when none waits. */
    public HttpExchange oldestWaiting() {
        return waiting.peekFirst();
    }

    /** Sends the exchange on an idle connection, or queues it for the next usable one. */
    public void execute(HttpExchange exchange) {
        if (closed) {
            eventLoop.execute(() -> exchange.onFailure(new IOException("the connection pool is closed")));
            return;
        }
        Http1Connection connection = takeIdle();
        if (connection != null) {
            connection.send(exchange);
            return;
        }
        exchange.waiting = true;
        exchange.queued = true;
        waiting.addLast(exchange);
        openForWaiting();
    }

    /**
     * Opens connections until {@code connections} are open or opening (at most the maximum), ahead of the requests
     * that will use them: each becomes idle once usable, or takes a waiting exchange. A request that arrives while
     * they open waits for them, as for any connect, so a failed one fails the oldest waiting request, if any;
     * one that fails before a request waits fails none, and the requests that find no connection open their own.
     */
    public void preconnect(int connections) {
        // Counted once: a connect can fail synchronously (a resolver that answers at once), and its failure lowers
        // `open` again, so a loop on `open` would connect forever on the event loop.
        int toOpen = Math.min(connections, maxConnections) - open;
        for (int i = 0; i < toOpen && !closed; i++) {
            connect();
        }
    }

    /** Forgets the exchange: no callback follows. A connection carrying it is closed. */
    public void abort(HttpExchange exchange) {
        if (exchange.waiting) {
            exchange.waiting = false;
            waiting.remove(exchange);
        } else if (exchange.connection != null) {
            exchange.connection.abort(exchange);
        }
    }

    /** Connections open or being opened now. */
    public int openConnections() {
        return open;
    }

    /** Connections opened (attempted) since the pool was made. */
    public long connectionsOpened() {
        return opened;
    }

    /** Closes every connection; exchanges still waiting fail. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleSweep != null) {
            idleSweep.cancel(false);
            idleSweep = null;
        }
        for (Http1Connection connection : new ArrayList<>(usable)) {
            connection.close();
        }
        idle.clear();
        HttpExchange exchange;
        while ((exchange = waiting.pollFirst()) != null) {
            exchange.waiting = false;
            HttpExchange failed = exchange;
            eventLoop.execute(() -> failed.onFailure(new IOException("the connection pool is closed")));
        }
    }

    /** A connection finished its exchange and can carry another. */
    void release(Http1Connection connection) {
        if (closed) {
            connection.close();
            return;
        }
        hand(connection);
    }

    /** A usable connection closed. */
    void closed(Http1Connection connection) {
        open--;
        usable.remove(connection);
        if (connection.inIdle) {
            connection.inIdle = false;
            idle.remove(connection);
        }
        openForWaiting();
    }

    private Http1Connection takeIdle() {
        Http1Connection connection;
        while ((connection = idle.pollFirst()) != null) {
            connection.inIdle = false;
            if (connection.active()) {
                return connection;
            }
            // closed by the server; its channelInactive is on its way and will count it
        }
        return null;
    }

    private void hand(Http1Connection connection) {
        HttpExchange next = waiting.pollFirst();
        if (next != null) {
            next.waiting = false;
            connection.send(next);
            return;
        }
        connection.idleSinceNanos = System.nanoTime();
        connection.inIdle = true;
        idle.addFirst(connection);
        if (idleSweep == null) {
            idleSweep = eventLoop.schedule(idleSweepTask, keepAliveTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One connect per waiting exchange that no connect in progress will serve, up to the maximum. */
    private void openForWaiting() {
        while (!closed && waiting.size() > connecting && open < maxConnections) {
            connect();
        }
    }

    private void connect() {
        open++;
        connecting++;
        opened++;
        long begun = System.nanoTime();
        bootstrap.connect(address).addListener((ChannelFuture connect) -> {
            if (!connect.isSuccess()) {
                connectFailed(connect.cause());
                return;
            }
            // The connect promise completes before channelActive starts the TLS handshake.
            long connectedAt = System.nanoTime();
            timings.connected(connectedAt - begun);
            Channel channel = connect.channel();
            SslHandler tls = channel.pipeline().get(SslHandler.class);
            if (tls == null) {
                connected(channel);
            } else {
                tls.handshakeFuture().addListener(handshake -> {
                    if (handshake.isSuccess()) {
                        timings.handshaken(System.nanoTime() - connectedAt);
                        connected(channel);
                    } else {
                        // Closing a connection whose handshake failed: nothing waits for that to finish.
                        ChannelFuture unused = channel.close();
                        connectFailed(handshake.cause());
                    }
                });
            }
        });
    }

    private void connected(Channel channel) {
        connecting--;
        Http1Connection connection = channel.pipeline().get(Http1Connection.class);
        if (closed || connection == null || !channel.isActive()) {
            open--;
            ChannelFuture unused = channel.close(); // nobody waits for a connection that is not wanted
            return;
        }
        connection.registered = true;
        usable.add(connection);
        hand(connection);
    }

    private void connectFailed(Throwable cause) {
        connecting--;
        open--;
        HttpExchange failed = waiting.pollFirst();
        if (failed != null) {
            failed.waiting = false;
            // Later, not now: a connect can fail synchronously inside execute(), and the exchange's
            // failure handling may send again; deferring keeps the pool's state machine flat.
            eventLoop.execute(() -> failed.onFailure(cause));
        }
        openForWaiting();
    }

    private void closeExpiredIdle() {
        idleSweep = null;
        long now = System.nanoTime();
        Http1Connection oldest;
        while ((oldest = idle.peekLast()) != null && now - oldest.idleSinceNanos >= keepAliveTimeoutNanos) {
            idle.pollLast();
            oldest.inIdle = false;
            oldest.close();
        }
        if (oldest != null && !closed) {
            idleSweep = eventLoop.schedule(
                    idleSweepTask, oldest.idleSinceNanos + keepAliveTimeoutNanos - now, TimeUnit.NANOSECONDS);
        }
    }
}
