package io.salvo.modelserver.protocol;

/**
 * A request the server refuses, with the HTTP status and a message naming the problem; rendered as the Open
 * Inference Protocol error body {@code {"error": "..."}}. Client mistakes are 4xx; overload and timeouts are 503
 * with a {@code Retry-After} in seconds.
 */
public final class ProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final int retryAfterSeconds;

    public ProtocolException(int status, String message) {
        this(status, message, 0);
    }

    public ProtocolException(int status, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ProtocolException badRequest(String message) {
        return new ProtocolException(400, message);
    }

    public int status() {
        return status;
    }

    /** Seconds for the {@code Retry-After} header; 0 means no header. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
