package io.salvo.worker.http;

/** The server's bytes are not a valid HTTP/1.x response; the message says what is wrong. */
public final class ProtocolViolationException extends Exception {

    private static final long serialVersionUID = 1L;

    public ProtocolViolationException(String message) {
        super(message);
    }
}
