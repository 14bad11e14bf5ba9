package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.RunStore;
import io.salvo.proto.v1.RunResult;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A run's result in its store, kept current: written when the run ends, again for every report that
 * arrives after that (a straggler), and a last time when the run's data is archived, after which later
 * reports change nothing. Writes are serialized, so the last one stored is built from every report merged.
 */
final class StoredResult {

    private final RunStore store;
    private final Supplier<RunResult> current;
    private final CoalescedTask storeSoon;
    /** Guarded by this. */
    private boolean archived;

    StoredResult(String runId, RunStore store, Supplier<RunResult> current) {
        this.store = store;
        this.current = current;
        this.storeSoon = new CoalescedTask("run " + runId + ": storing the result", this::store);
    }

    /** Stores the result as it stands now, unless the run was archived. */
    synchronized void store() {
        if (!archived) {
            store.saveResult(current.get());
        }
    }

    /**
     * A report merged after the run's end: stores the result again on {@code driver}, not on the merging
     * thread, which may be a transport thread (building a result reads other coordinators' rejection
     * tallies); on this thread when nobody drives the run.
     */
    void storeAfterStraggler(Executor driver) {
        if (!storeSoon.request(driver)) {
            store();
        }
    }

    /** Stores the result for the last time: the run's data is being archived; later reports are refused. */
    synchronized void archive() {
        store.saveResult(current.get());
        archived = true;
    }
}
