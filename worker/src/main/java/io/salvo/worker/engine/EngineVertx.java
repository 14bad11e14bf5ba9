package io.salvo.worker.engine;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Vert.x instance the engine's lanes should run on: native epoll transport where available.
 *
 * <p>Why native: lanes fire requests from event-loop timers set to the nanosecond. Netty's epoll
 * transport waits on a timerfd (microsecond resolution) for delays under 10 ms; NIO rounds every
 * wait to whole milliseconds and calls {@code selectNow()} in a loop when less than 0.5 ms is
 * left, which burns the core the lane shares with everything else. Where epoll is unavailable
 * (not Linux x86_64, or the native library fails to load) Vert.x falls back to NIO and the
 * engine still works, with coarser timers and more CPU per request.
 */
public final class EngineVertx {

    private static final Logger LOG = Logger.getLogger(EngineVertx.class.getName());

    private EngineVertx() {}

    /** A Vert.x instance with {@code eventLoops} event loops, preferring the native transport. */
    public static Vertx create(int eventLoops) {
        Vertx vertx =
                Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops).setPreferNativeTransport(true));
        if (vertx.isNativeTransportEnabled()) {
            LOG.log(Level.INFO, "engine Vert.x: {0} event loops on the native transport", eventLoops);
        } else {
            LOG.log(
                    Level.WARNING,
                    "engine Vert.x: native transport unavailable ({0}); using NIO, "
                            + "whose timers have millisecond resolution",
                    String.valueOf(vertx.unavailableNativeTransportCause()));
        }
        return vertx;
    }

    /** "native" or "NIO", for logs. */
    static String transportOf(Vertx vertx) {
        return vertx.isNativeTransportEnabled() ? "native" : "NIO";
    }
}
