package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.testkit.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sealed entries and old snapshots leave the replicated maps for every coordinator's disk, and every coordinator
 * still reads them: one that was there, one that joined later (it copies the segment when the next batch comes, or
 * before it reads), and the survivor once the leader is gone.
 */
class SpillReplicasTest {

    private final List<CoordinatorCluster> members = new ArrayList<>();

    @AfterEach
    void stop() {
        members.forEach(CoordinatorCluster::close);
    }

    @Test
    void spilledStateLeavesTheMapsAndEveryMemberReadsItIncludingOnesThatJoinLater() throws Exception {
        String name = "spill-" + UUID.randomUUID();
        int[] ports = {freePort(), freePort(), freePort(), freePort()};
        List<String> list = new ArrayList<>();
        for (int port : ports) {
            list.add("127.0.0.1:" + port);
        }
        CoordinatorCluster a = start(name, ports[0], list);
        CoordinatorCluster b = start(name, ports[1], list);
        Await.until(
                "two members", () -> a.memberIds().size() == 2 && b.memberIds().size() == 2);
        String run = "run-" + UUID.randomUUID();
        RunStore leader = a.runStore(run);
        for (long seq = 0; seq < 200; seq++) {
            leader.publishSnapshot(
                    seq, LiveSnapshot.newBuilder().setIntervalIndex(seq).build());
        }
        Map<Long, byte[]> expected = new TreeMap<>();
        for (long i = 0; i < 100; i++) {
            expected.put(i, entry(i, "first"));
            leader.saveCompacted(i, expected.get(i));
        }
        leader.saveCompacted(100, entry(100, "recent"));

        assertThat(leader.spill(sub(expected, 0, 50))).isTrue();

        // Out of the maps: the 50 entries and the snapshots older than the last 64.
        assertThat(a.compacted(run).keySet()).doesNotContain(0L, 49L).contains(50L, 100L);
        assertThat(a.snapshots(run).keySet())
                .hasSize(RunStore.SNAPSHOTS_KEPT)
                .doesNotContain(135L)
                .contains(136L);
        // ... and still read, on both members, in every way a run reads them.
        for (CoordinatorCluster member : List.of(a, b)) {
            RunStore store = member.runStore(run);
            assertThat(store.compactedInterval(7)).isEqualTo(expected.get(7L));
            assertThat(store.compactedIntervals(Set.of(3L, 60L, 100L, 150L)).keySet())
                    .containsExactly(3L, 60L, 100L);
            assertThat(store.compactedIntervals().keySet()).hasSize(101);
            assertThat(store.snapshots().keySet()).hasSize(200);
            assertThat(LiveSnapshot.parseFrom(store.snapshots().get(10L)).getIntervalIndex())
                    .isEqualTo(10);
        }

        // A member joins: the next batch does not follow what it holds (nothing), so it copies the segment first.
        CoordinatorCluster c = start(name, ports[2], list);
        Await.until("three members", () -> a.memberIds().size() == 3);
        expected.put(7L, entry(7, "folded again"));
        leader.saveCompacted(7, expected.get(7L));
        Map<Long, byte[]> second = sub(expected, 50, 100);
        second.put(7L, expected.get(7L));
        assertThat(leader.spill(second)).isTrue();
        assertThat(a.compacted(run).keySet()).containsExactly(100L);
        assertThat(c.spill().local().existing(run).batches()).isEqualTo(2);

        // Another joins: it copies the running runs' segments before it serves, as it gets its share of the maps.
        CoordinatorCluster d = start(name, ports[3], list);
        assertThat(d.spill().local().existing(run).batches()).isEqualTo(2);
        Await.until("four members", () -> a.memberIds().size() == 4);
        // The leader goes: what it spilled is read from the others' disks, the fold's newest form included.
        a.terminate();
        members.remove(a);
        Await.until("three left", () -> d.memberIds().size() == 3);
        for (CoordinatorCluster member : List.of(b, c, d)) {
            RunStore store = member.runStore(run);
            NavigableMapAssert.assertEntries(store.compactedIntervals(), expected, entry(100, "recent"));
            assertThat(store.snapshots().keySet()).hasSize(200);
        }
        // Then all but the one that joined last go: it still has every spilled interval.
        b.close();
        c.terminate();
        members.removeAll(List.of(b, c));
        Await.until("one left", () -> d.memberIds().size() == 1);
        NavigableMapAssert.assertEntries(d.runStore(run).compactedIntervals(), expected, entry(100, "recent"));

        // Archiving deletes the run's segment and its count.
        d.destroyRunData(run);
        assertThat(d.spill().local().existing(run)).isNull();
        assertThat(d.spill().bytesOnDisk()).isZero();
    }

    /** Compares every entry by its bytes. */
    private static final class NavigableMapAssert {
        static void assertEntries(Map<Long, byte[]> actual, Map<Long, byte[]> expected, byte[] recent) {
            assertThat(actual.keySet()).hasSize(101);
            expected.forEach((index, bytes) ->
                    assertThat(actual.get(index)).as("entry " + index).isEqualTo(bytes));
            assertThat(actual.get(100L)).isEqualTo(recent);
        }
    }

    private CoordinatorCluster start(String name, int port, List<String> list) {
        CoordinatorCluster member = CoordinatorCluster.start(new ClusterSettings(name, "127.0.0.1", port, list), null);
        members.add(member);
        return member;
    }

    private static Map<Long, byte[]> sub(Map<Long, byte[]> all, long from, long to) {
        return new TreeMap<>(new TreeMap<>(all).subMap(from, to));
    }

    private static byte[] entry(long index, String version) {
        return ("interval " + index + " " + version).getBytes(StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
