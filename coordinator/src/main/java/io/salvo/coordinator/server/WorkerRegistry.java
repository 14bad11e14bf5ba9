package io.salvo.coordinator.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Workers connected to this coordinator, by id. */
public final class WorkerRegistry {

    private final Map<String, WorkerSession> sessions = new ConcurrentHashMap<>();

    /**
     * Registers a session; false when a live worker already uses that id. A previous session that
     * is closed, or silent for longer than {@code staleAfterNanos} (a half-open connection the
     * transport has not noticed yet), gives way to the new one: the worker is reconnecting.
     */
    boolean register(WorkerSession session, long nowUnixNanos, long staleAfterNanos) {
        WorkerSession previous = sessions.putIfAbsent(session.workerId(), session);
        if (previous == null) {
            notifyWaiters();
            return true;
        }
        if (previous.closed() || nowUnixNanos - previous.lastHeardUnixNanos() > staleAfterNanos) {
            previous.close(io.grpc.Status.ABORTED.withDescription("replaced by a new stream of the same worker")
                    .asRuntimeException());
            sessions.replace(session.workerId(), previous, session);
            notifyWaiters();
            return true;
        }
        return false;
    }

    void unregister(WorkerSession session) {
        sessions.remove(session.workerId(), session);
        notifyWaiters();
    }

    public WorkerSession get(String workerId) {
        return sessions.get(workerId);
    }

    /** Connected workers not assigned to a run, sorted by id so run plans are reproducible. */
    public List<WorkerSession> idle() {
        List<WorkerSession> idle = new ArrayList<>();
        for (WorkerSession s : sessions.values()) {
            if (!s.closed() && s.runId() == null) {
                idle.add(s);
            }
        }
        idle.sort(Comparator.comparing(WorkerSession::workerId));
        return idle;
    }

    public int connected() {
        return sessions.size();
    }

    /** Waits until at least {@code count} workers are idle or the time is up; returns the idle list. */
    public List<WorkerSession> awaitIdle(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (this) {
            while (true) {
                List<WorkerSession> idle = idle();
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (idle.size() >= count || remainingMillis <= 0) {
                    return idle;
                }
                wait(Math.min(remainingMillis, 100));
            }
        }
    }

    private synchronized void notifyWaiters() {
        notifyAll();
    }
}
