package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.Heartbeat;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The outage buffer on its own, with a small cap and the caller's clock (nanoseconds given by the test). */
class OutageBufferTest {

    private static final long WINDOW = 1_000;

    private static WorkerMessage report(long index) {
        return WorkerMessage.newBuilder()
                .setIntervalReport(IntervalReport.newBuilder().setIntervalIndex(index))
                .build();
    }

    private static WorkerMessage warning(String text) {
        return WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder().setWarning(text))
                .build();
    }

    private static List<WorkerMessage> redeliver(OutageBuffer buffer, long nowNanos) {
        List<WorkerMessage> out = new ArrayList<>();
        buffer.redeliver(out::add, nowNanos);
        return out;
    }

    @Test
    void aFullBufferDropsItsOldestReportButNoEventAndCountsIt() {
        OutageBuffer buffer = new OutageBuffer(2, 10, WINDOW);
        buffer.hold(report(0));
        buffer.hold(warning("kept"));
        buffer.hold(report(1));
        buffer.hold(report(2));
        buffer.hold(report(3));

        assertThat(buffer.heldReports()).isEqualTo(2);
        assertThat(buffer.droppedReports()).isEqualTo(2);
        assertThat(redeliver(buffer, 0)).containsExactly(warning("kept"), report(2), report(3));
        assertThat(buffer.heldReports()).isZero();
        assertThat(buffer.droppedReports()).as("a count since the start").isEqualTo(2);
    }

    @Test
    void redeliversTheRecentlySentFirstThenTheHeldWhichCountAsSentFromThen() {
        OutageBuffer buffer = new OutageBuffer(10, 10, WINDOW);
        WorkerMessage finished = WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder().setFinished(WorkerFinished.getDefaultInstance()))
                .build();
        buffer.sent(report(0), 0);
        buffer.sent(warning("not resent"), 0);
        buffer.sent(
                WorkerMessage.newBuilder()
                        .setHeartbeat(Heartbeat.getDefaultInstance())
                        .build(),
                0);
        buffer.sent(finished, 10);
        buffer.hold(report(1));

        assertThat(redeliver(buffer, WINDOW)).containsExactly(report(0), finished, report(1));
        // report 0 was sent at 0: past the window by now; the finished event and report 1 are not
        assertThat(redeliver(buffer, WINDOW + 5)).containsExactly(finished, report(1));
    }

    @Test
    void remembersOnlyTheLatestSentMessages() {
        OutageBuffer buffer = new OutageBuffer(10, 2, WINDOW);
        for (long index = 0; index < 5; index++) {
            buffer.sent(report(index), index);
        }
        assertThat(redeliver(buffer, 5)).containsExactly(report(3), report(4));
    }
}
