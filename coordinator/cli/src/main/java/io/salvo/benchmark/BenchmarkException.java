package io.salvo.benchmark;

/** A benchmark step failed (platform, coordinator or files); the message says which and why. */
public final class BenchmarkException extends Exception {

    private static final long serialVersionUID = 1L;

    public BenchmarkException(String message) {
        super(message);
    }

    public BenchmarkException(String message, Throwable cause) {
        super(message, cause);
    }
}
