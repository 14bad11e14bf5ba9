package io.salvo.coordinator.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.salvo.coordinator.slicing.SlicePlanner;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.BodySet;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.RunPlan;
import io.salvo.proto.v1.Slice;
import io.salvo.testkit.FakeClock;
import io.salvo.testkit.TestPlans;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What assignments cost on the wire. A plan's request bodies (2 MiB here) go to each worker stream once, in chunks
 * under gRPC's message limit; a re-slice at 1,000 workers then sends only slices and a digest.
 */
class AssignmentBytesTest {

    private static final int WORKERS = 1_000;
    private static final int BODY_BYTES = 2 * 1024 * 1024;

    private final FakeClock clock = new FakeClock();
    private final InMemoryRunStore store = new InMemoryRunStore();

    private static RunPlan planWithTwoMebibytesOfBodies() {
        RunPlan.Builder plan = TestPlans.constantRate(1_000, 20_000, WORKERS);
        Random random = new Random(42);
        for (int i = 0; i < 512; i++) {
            byte[] body = new byte[BODY_BYTES / 512];
            random.nextBytes(body);
            plan.getRequestBuilder().addBodies(ByteString.copyFrom(body));
        }
        return plan.build();
    }

    private static long bytes(List<CoordinatorMessage> messages) {
        return messages.stream()
                .mapToLong(CoordinatorMessage::getSerializedSize)
                .sum();
    }

    @Test
    void bodiesGoOncePerStreamAndAReSliceAtAThousandWorkersSendsUnderFourMebibytes() throws Exception {
        RunPlan plan = planWithTwoMebibytesOfBodies();
        List<FakeChannel> channels = new ArrayList<>();
        List<SlicePlanner.Participant> participants = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            channels.add(new FakeChannel("w-" + i, clock));
            participants.add(new SlicePlanner.Participant("w-" + i, 1));
        }
        Run run = Run.create(
                new RunSpec(
                        "run-bytes",
                        plan,
                        7,
                        clock.unixNanos() + Duration.ofSeconds(1).toNanos(),
                        Duration.ofMillis(1500).toNanos(),
                        Duration.ofSeconds(3).toNanos(),
                        Duration.ofSeconds(10).toNanos()),
                clock::unixNanos,
                store,
                "coordinator-t");
        Map<String, Slice> slices = SlicePlanner.plan(participants, 7);
        for (FakeChannel c : channels) {
            run.assign(c, slices.get(c.workerId()));
        }
        run.persist();
        run.sendAssignments();
        run.driveOn(clock);
        ScheduledFuture<?> unusedTicks =
                clock.scheduleAtFixedRate(() -> run.tick(clock.unixNanos()), 50, 50, TimeUnit.MILLISECONDS);
        FakeChannel silent = channels.get(0);
        List<FakeChannel> heartbeating = channels.subList(1, WORKERS);
        ScheduledFuture<?> unusedHeartbeats =
                clock.scheduleAtFixedRate(() -> heartbeating.forEach(FakeChannel::heard), 1, 1, TimeUnit.SECONDS);

        // At the start every worker gets the bodies once, whole and in chunks under gRPC's 4 MiB default.
        ByteString expectedDigest = ByteString.copyFrom(MessageDigest.getInstance("SHA-256")
                .digest(BodySet.newBuilder()
                        .addAllBodies(plan.getRequest().getBodiesList())
                        .build()
                        .toByteArray()));
        for (FakeChannel c : List.of(channels.get(1), channels.get(WORKERS - 1))) {
            List<CoordinatorMessage> chunks =
                    c.sent.stream().filter(CoordinatorMessage::hasBodyChunk).toList();
            assertThat(chunks).allSatisfy(m -> assertThat(m.getSerializedSize()).isLessThan(2 * 1024 * 1024));
            ByteString whole =
                    chunks.stream().map(m -> m.getBodyChunk().getData()).reduce(ByteString.EMPTY, ByteString::concat);
            assertThat(BodySet.parseFrom(whole).getBodiesList())
                    .isEqualTo(plan.getRequest().getBodiesList());
            assertThat(c.sent.indexOf(chunks.get(chunks.size() - 1)))
                    .as("the bodies arrive before the assignment that names them")
                    .isLessThan(c.sent.indexOf(c.sent.stream()
                            .filter(CoordinatorMessage::hasAssignment)
                            .findFirst()
                            .orElseThrow()));
            Assignment first = c.assignments().get(0);
            assertThat(first.getBodySetSha256()).isEqualTo(expectedDigest);
            assertThat(first.getPlan().getRequest().getBodiesCount()).isZero();
        }
        long atStart = channels.stream().mapToLong(c -> bytes(c.sent)).sum();
        assertThat(atStart).isBetween((long) WORKERS * BODY_BYTES, (long) WORKERS * (BODY_BYTES + 64 * 1024));

        int[] before = channels.stream().mapToInt(c -> c.sent.size()).toArray();
        silent.close();
        clock.forward(Duration.ofMillis(3_500)); // silent past the heartbeat timeout: lost, re-sliced

        long resliceBytes = 0;
        int reassigned = 0;
        for (int i = 1; i < WORKERS; i++) {
            List<CoordinatorMessage> after =
                    channels.get(i).sent.subList(before[i], channels.get(i).sent.size());
            assertThat(after).noneMatch(CoordinatorMessage::hasBodyChunk);
            resliceBytes += bytes(after);
            reassigned += (int)
                    after.stream().filter(CoordinatorMessage::hasAssignment).count();
        }
        assertThat(reassigned).as("every remaining worker got its new slice").isEqualTo(WORKERS - 1);
        assertThat(run.result().getReslicesCount()).isEqualTo(1);
        assertThat(resliceBytes).as("bytes of the re-slice to 999 workers").isLessThan(4L * 1024 * 1024);
    }

    @Test
    void aWorkerBackOnANewStreamGetsTheBodiesAgainAndTheOthersDoNot() throws Exception {
        RunPlan plan = TestPlans.constantRate(100, 20_000, 2).build().toBuilder()
                .setRequest(TestPlans.constantRate(100, 20_000, 2).build().getRequest().toBuilder()
                        .addBodies(ByteString.copyFromUtf8("{\"inputs\":[1]}")))
                .build();
        FakeChannel a = new FakeChannel("w-a", clock);
        FakeChannel b = new FakeChannel("w-b", clock);
        Run run = Run.create(
                new RunSpec(
                        "run-again",
                        plan,
                        7,
                        clock.unixNanos() + Duration.ofSeconds(1).toNanos(),
                        Duration.ofMillis(1500).toNanos(),
                        Duration.ofSeconds(3).toNanos(),
                        Duration.ofSeconds(10).toNanos()),
                clock::unixNanos,
                store,
                "coordinator-t");
        Map<String, Slice> slices = SlicePlanner.plan(
                List.of(new SlicePlanner.Participant("w-a", 1), new SlicePlanner.Participant("w-b", 1)), 7);
        run.assign(a, slices.get("w-a"));
        run.assign(b, slices.get("w-b"));
        run.persist();
        run.sendAssignments();
        assertThat(a.sent.stream().filter(CoordinatorMessage::hasBodyChunk)).hasSize(1);

        run.onHolderLeft(a);
        FakeChannel aAgain = new FakeChannel("w-a", clock);
        run.attach(aAgain);
        run.sendAssignments();

        assertThat(aAgain.sent.stream().filter(CoordinatorMessage::hasBodyChunk))
                .as("the new stream gets the bodies before its assignment")
                .hasSize(1);
        assertThat(aAgain.sent.get(0).hasBodyChunk()).isTrue();
        assertThat(aAgain.assignments()).isNotEmpty();
        assertThat(b.sent.stream().filter(CoordinatorMessage::hasBodyChunk))
                .as("a worker whose stream stayed gets them once")
                .hasSize(1);
    }
}
