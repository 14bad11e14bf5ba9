package io.salvo.coordinator.http;

import io.grpc.stub.StreamObserver;
import io.salvo.coordinator.server.SnapshotFeeds;
import io.salvo.proto.v1.LiveSnapshot;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * One Server-Sent Events connection following a run: the snapshots so far, then each new one, then an {@code end}
 * event, after which the server closes the stream. Each event's id is the snapshot's sequence number in the run's
 * replicated snapshot map, the same on every coordinator, so a client that reconnects (to this coordinator or
 * another) with {@code Last-Event-ID} gets exactly the events after it.
 */
final class SnapshotStream implements StreamObserver<LiveSnapshot> {

    /** Comment lines keep idle connections open through proxies and reveal clients that left. */
    static final long KEEPALIVE_MILLIS = 15_000;

    private final Vertx vertx;
    private final Context context;
    private final HttpServerResponse response;
    private final long resumeAfter;
    private long sequence = -1;
    private long intervals;
    private volatile Runnable detach = () -> {};
    private volatile boolean closed;
    private long keepalive = -1;

    private SnapshotStream(Vertx vertx, Context context, HttpServerResponse response, long resumeAfter) {
        this.vertx = vertx;
        this.context = context;
        this.response = response;
        this.resumeAfter = resumeAfter;
    }

    /**
     * Opens the stream on {@code response}, on the connection's event loop; events up to {@code resumeAfter} will be
     * skipped. {@link #attach} then follows the run.
     */
    static SnapshotStream begin(Vertx vertx, HttpServerResponse response, long resumeAfter) {
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("X-Accel-Buffering", "no");
        // How long a reconnecting EventSource waits; a page that fails over to another coordinator sets its own pace.
        response.write("retry: 2000\n\n");
        SnapshotStream stream = new SnapshotStream(vertx, vertx.getOrCreateContext(), response, resumeAfter);
        response.closeHandler(v -> stream.close());
        stream.keepalive = vertx.setPeriodic(KEEPALIVE_MILLIS, id -> {
            if (!stream.closed) {
                response.write(": keepalive\n\n");
            }
        });
        return stream;
    }

    /** Replays the run's snapshots so far and follows it; may wait on the cluster, so not on an event loop. */
    void attach(SnapshotFeeds feeds, String runId) {
        detach = feeds.watch(runId, this);
        if (closed) {
            detach.run();
        }
    }

    /** Sends one event and ends the stream: a run whose snapshots are gone (archived) ends at once. */
    void endWith(JsonObject end) {
        context.runOnContext(v -> {
            if (!closed) {
                response.write("id: " + end.getLong("sequence") + "\nevent: end\ndata: " + end.encode() + "\n\n");
                finish();
            }
        });
    }

    /** Called in sequence order under the feed's lock: the writing happens on the connection's own context. */
    @Override
    public void onNext(LiveSnapshot snapshot) {
        long seq = ++sequence;
        boolean end = SnapshotJson.terminal(snapshot.getState());
        JsonObject event = end ? SnapshotJson.end(seq, snapshot, intervals) : SnapshotJson.interval(seq, snapshot);
        if (!end) {
            intervals++;
        }
        if (seq <= resumeAfter) {
            return;
        }
        String frame = "id: " + seq + "\nevent: " + (end ? "end" : "interval") + "\ndata: " + event.encode() + "\n\n";
        context.runOnContext(v -> {
            if (!closed) {
                response.write(frame);
            }
        });
    }

    @Override
    public void onError(Throwable t) {
        context.runOnContext(v -> finish());
    }

    @Override
    public void onCompleted() {
        context.runOnContext(v -> finish());
    }

    private void finish() {
        if (!closed) {
            close();
            response.end();
        }
    }

    private void close() {
        closed = true;
        if (keepalive >= 0) {
            vertx.cancelTimer(keepalive);
        }
        detach.run();
    }
}
