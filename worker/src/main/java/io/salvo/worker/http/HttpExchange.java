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
