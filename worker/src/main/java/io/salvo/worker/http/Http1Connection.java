package io.salvo.worker.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;

/**
 * One HTTP/1.1 connection of a {@link ConnectionPool}: the last handler of its channel's pipeline.
 * It carries one exchange at a time (no pipelining), writes the pre-encoded request in one write
 * and parses the response straight from the bytes Netty read, copying only the rare partial line
 * that spans two reads.
 *
 * <p>When a response completes the connection goes back to the pool <em>before</em> the exchange
 * hears of it, so a request the exchange's completion releases finds the connection free. A
 * response that leaves bytes behind, asks to close, or breaks the protocol ends the connection.
 *
 * <p>Event-loop confined, like its pool.
 */
// Writes and closes are fire-and-forget: their failures reach this handler as exceptionCaught or
// channelInactive, which fail the exchange; a future per operation would only repeat that.
@SuppressWarnings("FutureReturnValueIgnored")
final class Http1Connection extends ChannelInboundHandlerAdapter {

    private final ConnectionPool pool;
    private final ResponseParser parser;
    private final boolean headRequests;
    private Channel channel;
    private HttpExchange current;
    /** Unread bytes of a line that continues in the next read. */
    private ByteBuf partial;

    private Throwable failure;
    /** Counted in the pool's open connections as usable (connected and, with TLS, handshaken). */
    boolean registered;
    /** In the pool's idle stack. */
    boolean inIdle;

    long idleSinceNanos;

    Http1Connection(ConnectionPool pool, ResponseParser parser, boolean headRequests) {
        this.pool = pool;
        this.parser = parser;
        this.headRequests = headRequests;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    boolean active() {
        return channel.isActive();
    }

    void send(HttpExchange exchange) {
        current = exchange;
        exchange.connection = this;
        parser.expectResponse(headRequests);
        exchange.onWrite(exchange.queued);
        channel.writeAndFlush(exchange.request(), channel.voidPromise());
    }

    /** The exchange gave up (timed out): the connection is closed, since its response may still come. */
    void abort(HttpExchange exchange) {
        if (current == exchange) {
            current = null;
            exchange.connection = null;
            channel.close();
        }
    }

    void close() {
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        ByteBuf in = (ByteBuf) message;
        if (current == null) {
            // Bytes nobody asked for: a misbehaving server, or the late answer to an aborted request.
            in.release();
            channel.close();
            return;
        }
        if (!current.receivedBytes) {
            current.receivedBytes = true;
            current.firstByteNanos = System.nanoTime();
        }
        ByteBuf bytes = in;
        boolean continuesPartial = partial != null;
        if (continuesPartial) {
            partial.writeBytes(in);
            in.release();
            bytes = partial;
        }
        boolean complete;
        try {
            complete = parser.parse(bytes);
        } catch (ProtocolViolationException e) {
            bytes.release();
            partial = null;
            breakWith(e);
            return;
        }
        if (!complete) {
            if (!bytes.isReadable()) {
                bytes.release();
                partial = null;
            } else if (!continuesPartial) {
                partial = ctx.alloc().heapBuffer(Math.max(256, 2 * in.readableBytes()));
                partial.writeBytes(in);
                in.release();
            } else {
                partial.discardSomeReadBytes();
            }
            return;
        }
        boolean reusable = parser.keepAlive() && !bytes.isReadable();
        bytes.release();
        partial = null;
        HttpExchange done = current;
        current = null;
        done.connection = null;
        int status = parser.status();
        String[] values = parser.selectedValues();
        if (reusable) {
            pool.release(this);
        } else {
            channel.close();
        }
        done.onResponse(status, values);
    }

    private void breakWith(Throwable cause) {
        HttpExchange broken = current;
        current = null;
        channel.close();
        if (broken != null) {
            broken.connection = null;
            broken.onFailure(cause);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        HttpExchange broken = current;
        current = null;
        if (registered) {
            registered = false;
            pool.closed(this);
        }
        if (broken != null) {
            broken.connection = null;
            if (parser.endOfInput()) {
                broken.onResponse(parser.status(), parser.selectedValues()); // a body delimited by the close
            } else {
                broken.onFailure(
                        failure != null
                                ? failure
                                : new IOException("the server closed the connection before the response ended"));
            }
        }
        ctx.fireChannelInactive();
    }
}
