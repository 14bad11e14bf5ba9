package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.Slice;
import io.salvo.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RosterTest {

    private final FakeClock clock = new FakeClock();
    private final Roster roster = new Roster("run-r", 100);

    private AssignedWorker assign(FakeChannel channel) {
        AssignedWorker w = AssignedWorker.of(channel, Slice.getDefaultInstance(), 100);
        roster.add(w);
        channel.assignedTo("run-r");
        return w;
    }

    @Test
    void aWorkerComesBackOnANewStreamUnlessItWasDeclaredLostMeanwhile() {
        FakeChannel a = new FakeChannel("w-a", clock);
        FakeChannel b = new FakeChannel("w-b", clock);
        assign(a);
        AssignedWorker bw = assign(b);

        FakeChannel aAgain = new FakeChannel("w-a", clock);
        assertThat(roster.attach(aAgain, false)).isEqualTo(Roster.Attached.ATTACHED);
        assertThat(aAgain.runId()).isEqualTo("run-r");
        assertThat(roster.attach(aAgain, false)).as("the same stream twice").isEqualTo(Roster.Attached.IGNORED);

        assertThat(roster.lose(bw, "silent for 3100 ms")).isTrue();
        assertThat(roster.lose(bw, "again")).isFalse();
        assertThat(b.stops())
                .singleElement()
                .satisfies(s -> assertThat(s.getReason()).isEqualTo("declared lost: silent for 3100 ms"));
        assertThat(b.runId()).isNull();

        FakeChannel bAgain = new FakeChannel("w-b", clock);
        assertThat(roster.attach(bAgain, false)).isEqualTo(Roster.Attached.STOPPED);
        assertThat(bAgain.stops()).hasSize(1);
        assertThat(roster.attach(new FakeChannel("w-x", clock), false)).isEqualTo(Roster.Attached.IGNORED);
        assertThat(roster.attach(new FakeChannel("w-a", clock), true))
                .as("the run is over")
                .isEqualTo(Roster.Attached.IGNORED);
    }

    @Test
    void anOutsiderJoinsOnlyWhileTheRunHasRoom() {
        assign(new FakeChannel("w-a", clock));
        AssignedWorker b = assign(new FakeChannel("w-b", clock));
        assertThat(roster.offer(new FakeChannel("w-c", clock), 2)).isNull();
        roster.lose(b, "stream closed");
        FakeChannel c = new FakeChannel("w-c", clock);
        assertThat(roster.offer(c, 2)).isNotNull();
        assertThat(c.runId()).isEqualTo("run-r");
        assertThat(roster.offer(c, 3)).as("already part of it").isNull();
        assertThat(roster.live()).extracting(w -> w.workerId).containsExactly("w-a", "w-c");
    }

    @Test
    void silenceAndAMissedReconnectWindowAreLosses() {
        FakeChannel a = new FakeChannel("w-a", clock);
        FakeChannel b = new FakeChannel("w-b", clock);
        assign(a);
        assign(b);
        long window = Duration.ofSeconds(6).toNanos();
        roster.holderLeft(b, clock.unixNanos() + window);
        assertThat(roster.awaitingReconnect()).isTrue();

        clock.forward(Duration.ofSeconds(3));
        assertThat(roster.silent(clock.unixNanos(), Duration.ofSeconds(3).toNanos(), window))
                .isEmpty();
        clock.forward(Duration.ofMillis(1));
        assertThat(roster.silent(clock.unixNanos(), Duration.ofSeconds(3).toNanos(), window))
                .singleElement()
                .satisfies(l -> assertThat(l.how()).isEqualTo("silent for 3001 ms"));

        a.heard();
        clock.forward(Duration.ofSeconds(3));
        assertThat(roster.silent(clock.unixNanos(), Duration.ofSeconds(60).toNanos(), window))
                .singleElement()
                .satisfies(l -> {
                    assertThat(l.worker().workerId).isEqualTo("w-b");
                    assertThat(l.how()).isEqualTo("did not reconnect within 6000 ms after its coordinator left");
                });
    }

    @Test
    void aFinishedWorkerReleasesItsStreamAndIsNoLongerLive() {
        FakeChannel a = new FakeChannel("w-a", clock);
        assign(a);
        assertThat(roster.finish("w-a")).isNotNull();
        assertThat(roster.finish("w-a")).isNull();
        assertThat(a.runId()).isNull();
        assertThat(roster.live()).isEmpty();
        assertThat(roster.records())
                .singleElement()
                .satisfies(r -> assertThat(r.finished()).isTrue());
    }
}
