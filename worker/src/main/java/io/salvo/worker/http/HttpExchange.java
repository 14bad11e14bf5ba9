package io.salvo.worker.http;

import io.netty.buffer.ByteBuf;

/**
 * One request and its response, as the {@link ConnectionPool} sees it. Exactly one of
 * {@link #onResponse} and {@link #onFailure} is called, on the pool's event loop, unless the
 * exchange is {@linkplain ConnectionPool#abort aborted} first, after which neither is.
 */
public abstract class HttpExchange {

    /** The connection carrying this exchange, while it does; set and cleared by the pool's connections. */
    Http1Connection connection;
    /** True while the exchange waits in the pool for a connection. */
    boolean waiting;
    /** Whether it ever waited in the pool: it found no idle connection when it was handed over. */
    boolean queued;
    /** Whether a byte of the response was read; then {@link #firstByteNanos} holds when. */
    boolean receivedBytes;

    long firstByteNanos;

    /**
     * Called on the pool's event loop just before the request is written to a connection (once per
     * exchange); by default it does nothing. This is the instant the request reaches the wire: the
     * engine starts service time here.
     *
     * @param waited true when the exchange found no idle connection and waited in the pool
     */
    protected void onWrite(boolean waited) {}

    /** Whether a byte of the response was read. */
    public final boolean receivedBytes() {
        return receivedBytes;
    }

    /** {@code System.nanoTime()} when the first byte of the response was read; valid if {@link #receivedBytes()}. */
    public final long firstByteNanos() {
        return firstByteNanos;
    }

    /** The complete request to write (a fresh duplicate: the connection consumes its reader index). */
    protected abstract ByteBuf request();

    /**
     * The whole response arrived.
     *
     * @param status         the final status code
     * @param selectedValues the values of the run's {@link HeaderSelection} by index, or null when none was present
     */
    protected abstract void onResponse(int status, String[] selectedValues);

    /** No response: the connection could not be made, or it broke or the server spoke no valid HTTP. */
    protected abstract void onFailure(Throwable cause);
}
