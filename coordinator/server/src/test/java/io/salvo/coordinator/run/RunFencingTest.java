package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.Slice;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A run's side of fenced leadership, on fake time: its assignments, stops and record carry the term it is driven
 * under, and once it learns of a higher term it stops driving the run: no assignment, stop, snapshot or record
 * write any more, whatever happens to its workers.
 */
class RunFencingTest {

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();
    private final FakeChannel a = new FakeChannel("w-a", clock);
    private final FakeChannel b = new FakeChannel("w-b", clock);

    private Run start(LeaderTerm term) {
        long start = clock.unixNanos() + Duration.ofSeconds(1).toNanos();
        Run run = Run.create(
                new RunSpec(
                        "run-f",
                        TestPlans.constantRate(100, 20_000, 2).build(),
                        7,
                        start,
                        Duration.ofMillis(1500).toNanos(),
                        Duration.ofSeconds(3).toNanos(),
                        Duration.ofSeconds(10).toNanos()),
                clock::unixNanos,
                store,
                "coordinator-f");
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new SlicePlanner.Participant("w-a", 1), new SlicePlanner.Participant("w-b", 1)), 7);
        run.assign(a, slices.get("w-a"));
        run.assign(b, slices.get("w-b"));
        run.leadUnder(term);
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        return run;
    }

    @Test
    void assignmentsStopsAndTheRecordCarryTheTerm() {
        LeaderTerm term = Terms.of(3, "member-a");
        Run run = start(term);
        assertThat(a.assignments()).extracting(x -> x.getTerm()).containsExactly(term);
        assertThat(store.record.term()).isEqualTo(term);
        run.requestStop("test", clock.unixNanos());
        assertThat(a.stops()).extracting(x -> x.getTerm()).containsExactly(term);
        assertThat(store.record.term()).isEqualTo(term);
    }

    @Test
    void aDeposedRunIsNoLongerDriven() {
        Run run = start(Terms.of(1, "member-a"));
        int assignments = a.assignments().size() + b.assignments().size();
        int recordWrites = store.recordWrites.size();
        run.depose("member-b leads under term 2/member-b");
        assertThat(run.deposed()).isTrue();

        // Both workers fall silent: a driving run would lose them, re-slice, persist and end; this one does nothing.
        clock.forward(Duration.ofSeconds(60));
        run.requestStop("too late", clock.unixNanos());
        assertThat(a.assignments().size() + b.assignments().size()).isEqualTo(assignments);
        assertThat(a.stops()).isEmpty();
        assertThat(b.stops()).isEmpty();
        assertThat(store.recordWrites).hasSize(recordWrites);
        assertThat(store.published()).isEmpty();
        assertThat(run.terminal()).isFalse();
    }
}
