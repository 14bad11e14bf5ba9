package io.salvo.core.result;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.MergedInterval;
import io.salvo.proto.v1.RunResult;
import io.salvo.proto.v1.WorkerSummary;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which workers' reports a merged interval holds. Intervals name them as a bit set over the run's workers in the
 * order they were assigned ({@link MergedInterval#getReportedBy()}, one bit per worker); results written before
 * that list their ids ({@link MergedInterval#getWorkerIdsList()}). Both read the same here.
 */
public final class ReportedBy {

    private ReportedBy() {}

    /** The bit set as an interval carries it: bit i of byte i / 8, least significant first. */
    public static ByteString encode(BitSet workers) {
        return ByteString.copyFrom(workers.toByteArray());
    }

    /** The workers (by their position in the run's order) an interval names; empty for an interval of old results. */
    public static BitSet decode(MergedInterval interval) {
        return BitSet.valueOf(interval.getReportedBy().asReadOnlyByteBuffer());
    }

    /** How many workers' reports the interval holds. */
    public static int count(MergedInterval interval) {
        return interval.getWorkersReported() > 0 ? interval.getWorkersReported() : interval.getWorkerIdsCount();
    }

    /**
     * The ids of the workers whose reports the interval holds, in the run's order (old results: as listed).
     *
     * @throws IllegalArgumentException when the interval names a worker the result does not have
     */
    public static List<String> workerIds(RunResult result, MergedInterval interval) {
        if (interval.getWorkersReported() == 0) {
            return List.copyOf(interval.getWorkerIdsList());
        }
        List<WorkerSummary> workers = result.getWorkersList();
        BitSet bits = decode(interval);
        List<String> ids = new ArrayList<>(bits.cardinality());
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            if (i >= workers.size()) {
                throw new IllegalArgumentException("interval " + interval.getIntervalIndex() + " names worker #" + i
                        + " of a result with " + workers.size() + " workers");
            }
            ids.add(workers.get(i).getWorkerId());
        }
        return ids;
    }
}
