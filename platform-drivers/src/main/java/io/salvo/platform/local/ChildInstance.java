package io.salvo.platform.local;

/**
 * One instance process as the router sees it. Mutated only on the router's event loop, except
 * {@link #process}, which is also read by the hard-kill path on other threads.
 */
final class ChildInstance {

    enum State {
        /** Launched, model loading; counts as capacity for scaling, receives nothing yet. */
        STARTING,
        /** Serving. */
        READY,
        /** Asked to stop: receives nothing new, stops when its in-flight requests finish. */
        DRAINING,
        /** Gone. */
        STOPPED
    }

    final String name;
    final int port;
    final long launchedAtNanos;
    volatile Process process;
    State state = State.STARTING;
    int servingPort;
    int inFlight;
    long idleSinceNanos;
    boolean terminationRequested;

    ChildInstance(String name, int port, long launchedAtNanos) {
        this.name = name;
        this.port = port;
        this.servingPort = port;
        this.launchedAtNanos = launchedAtNanos;
        this.idleSinceNanos = launchedAtNanos;
    }

    boolean live() {
        return state == State.STARTING || state == State.READY;
    }
}
