package io.salvo.core.result;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.WorkerSummary;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class ReportedByTest {

    private static RunResult resultWith(int workers) {
        RunResult.Builder r = RunResult.newBuilder();
        for (int i = 0; i < workers; i++) {
            r.addWorkers(WorkerSummary.newBuilder().setWorkerId("w" + i));
        }
        return r.build();
    }

    @Test
    void bitsNameWorkersInTheRunsOrder() {
        BitSet bits = new BitSet();
        bits.set(0);
        bits.set(9);
        bits.set(10);
        MergedInterval interval = MergedInterval.newBuilder()
                .setWorkersReported(3)
                .setReportedBy(ReportedBy.encode(bits))
                .build();

        assertThat(interval.getReportedBy().size())
                .as("11 workers fit in 2 bytes")
                .isEqualTo(2);
        assertThat(ReportedBy.count(interval)).isEqualTo(3);
        assertThat(ReportedBy.workerIds(resultWith(12), interval)).containsExactly("w0", "w9", "w10");
        assertThat(ReportedBy.decode(interval)).isEqualTo(bits);
    }

    @Test
    void oldResultsListIds() {
        MergedInterval old =
                MergedInterval.newBuilder().addWorkerIds("b").addWorkerIds("a").build();

        assertThat(ReportedBy.count(old)).isEqualTo(2);
        assertThat(ReportedBy.workerIds(resultWith(0), old)).containsExactly("b", "a");
    }

    @Test
    void aBitBeyondTheResultsWorkersIsNamed() {
        BitSet bits = new BitSet();
        bits.set(5);
        MergedInterval interval = MergedInterval.newBuilder()
                .setIntervalIndex(7)
                .setWorkersReported(1)
                .setReportedBy(ReportedBy.encode(bits))
                .build();

        assertThatThrownBy(() -> ReportedBy.workerIds(resultWith(2), interval))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interval 7 names worker #5 of a result with 2 workers");
    }
}
