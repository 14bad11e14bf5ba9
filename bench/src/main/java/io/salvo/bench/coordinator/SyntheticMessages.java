package io.salvo.bench.coordinator;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.ClockProbe;
import io.salvo.proto.v1.ClockProbeReply;
import io.salvo.proto.v1.Heartbeat;
import io.salvo.proto.v1.IntervalReport;
import io.salvo.proto.v1.OutcomeClass;
import io.salvo.proto.v1.OutcomeHistograms;
import io.salvo.proto.v1.ProtocolVersion;
import io.salvo.proto.v1.WorkerEvent;
import io.salvo.proto.v1.WorkerFinished;
import io.salvo.proto.v1.WorkerHello;
import io.salvo.proto.v1.WorkerMessage;
import java.time.Instant;

/**
 * What a synthetic worker of the coordinator benchmarks says on its link: the messages of a real worker reduced to
 * what the coordinator reads, with one pre-encoded histogram standing for latency, service time and scheduler lag.
 */
final class SyntheticMessages {

    private SyntheticMessages() {}

    static WorkerMessage hello(String workerId) {
        return WorkerMessage.newBuilder()
                .setHello(WorkerHello.newBuilder()
                        .setWorkerId(workerId)
                        .setRegion("bench")
                        .setCores(1)
                        .setWeight(1)
                        .setProtocolVersion(ProtocolVersion.PROTOCOL_VERSION_1))
                .build();
    }

    /** Answered at once: the synthetic worker's clock is the coordinator's (same host). */
    static WorkerMessage clockProbeReply(ClockProbe probe) {
        long now = unixNanos();
        return WorkerMessage.newBuilder()
                .setClockProbeReply(ClockProbeReply.newBuilder()
                        .setProbeId(probe.getProbeId())
                        .setCoordinatorSentUnixNanos(probe.getCoordinatorSentUnixNanos())
                        .setWorkerReceivedUnixNanos(now)
                        .setWorkerSentUnixNanos(now))
                .build();
    }

    static WorkerMessage heartbeat() {
        return WorkerMessage.newBuilder()
                .setHeartbeat(Heartbeat.newBuilder().setSentAtUnixNanos(unixNanos()))
                .build();
    }

    /** One interval of {@code requests} 2xx requests, every one sent and completed as intended. */
    static WorkerMessage report(
            String runId, String workerId, long epoch, long intervalIndex, ByteString histogram, long requests) {
        return WorkerMessage.newBuilder()
                .setIntervalReport(IntervalReport.newBuilder()
                        .setRunId(runId)
                        .setWorkerId(workerId)
                        .setEpoch(epoch)
                        .setIntervalIndex(intervalIndex)
                        .addOutcomes(OutcomeHistograms.newBuilder()
                                .setOutcome(OutcomeClass.OUTCOME_CLASS_2XX)
                                .setLatencyMicros(histogram)
                                .setServiceTimeMicros(histogram))
                        .setSchedulerLagMicros(histogram)
                        .setSent(requests)
                        .setCompleted(requests)
                        .setIntended(requests))
                .build();
    }

    /** The worker's last word on a run whose intervals 0..lastIntervalIndex each carried {@code perInterval}. */
    static WorkerMessage finished(String runId, long lastIntervalIndex, long perInterval) {
        long total = perInterval * (lastIntervalIndex + 1);
        return WorkerMessage.newBuilder()
                .setEvent(WorkerEvent.newBuilder()
                        .setRunId(runId)
                        .setFinished(WorkerFinished.newBuilder()
                                .setLastIntervalIndex(lastIntervalIndex)
                                .setTotalSent(total)
                                .setTotalCompleted(total)))
                .build();
    }

    static long unixNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
