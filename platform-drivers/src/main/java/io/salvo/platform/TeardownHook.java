package io.salvo.platform;

/**
 * A JVM shutdown hook that tears a deployment down on Ctrl-C. Drivers install it before they create anything, so an
 * interrupted deploy still removes what it made, and remove it when they tear down in the regular way.
 */
public final class TeardownHook {

    private final Thread thread;

    private TeardownHook(Thread thread) {
        this.thread = thread;
    }

    /** Runs {@code teardown} on JVM shutdown, in a thread called {@code name}, until {@link #remove()}. */
    public static TeardownHook install(String name, Runnable teardown) {
        Thread thread = new Thread(teardown, name);
        Runtime.getRuntime().addShutdownHook(thread);
        return new TeardownHook(thread);
    }

    /** Removes the hook; nothing to do once the JVM is shutting down (the hook is running or ran). */
    public void remove() {
        try {
            Runtime.getRuntime().removeShutdownHook(thread);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or ran: it tears down
        }
    }
}
