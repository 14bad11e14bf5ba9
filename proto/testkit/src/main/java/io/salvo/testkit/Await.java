package io.salvo.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waits on a condition, for tests that watch real threads (a gRPC stream, an event loop, a
 * child process). Every wait has a deadline and fails with what it waited for; nothing here sleeps
 * longer than one short poll. Timing of the code under test belongs to a {@link FakeClock}, not here.
 */
public final class Await {

    /** Long enough for a loaded 2-core CI machine; a passing test returns as soon as its condition holds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private static final long POLL_MILLIS = 5;

    private Await() {}

    /** Waits up to {@link #DEFAULT_TIMEOUT} until {@code condition} holds. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @throws AssertionError naming {@code what} when it does not hold within {@code timeout}
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    /** Waits up to {@link #DEFAULT_TIMEOUT} until {@code supplier} gives a value other than null, and returns it. */
    public static <T> T value(String what, Supplier<T> supplier) {
        return value(what, DEFAULT_TIMEOUT, supplier);
    }

    /**
     * Waits until {@code supplier} gives a value other than null, and returns it.
     *
     * @throws AssertionError naming {@code what} when there is none within {@code timeout}
     */
    public static <T> T value(String what, Duration timeout, Supplier<T> supplier) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = supplier.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what, e);
            }
        }
    }
}
