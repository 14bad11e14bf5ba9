package io.salvo.coordinator.run;

import io.salvo.coordinator.cluster.CompactedInterval;
import io.salvo.coordinator.cluster.RunStore;
import io.salvo.coordinator.merge.IntervalMerger;
import io.salvo.proto.v1.MergedInterval;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/** A run's compacted intervals in its store, as the merger reads back the intervals it handed over for good. */
final class StoredCompactedIntervals implements IntervalMerger.StoredIntervals {

    private static final Logger LOG = Logger.getLogger(StoredCompactedIntervals.class.getName());

    private final RunStore store;

    StoredCompactedIntervals(RunStore store) {
        this.store = store;
    }

    @Override
    public Map<Long, MergedInterval> read(Set<Long> indexes) {
        Map<Long, MergedInterval> all = new TreeMap<>();
        store.compactedIntervals(indexes).forEach((index, bytes) -> {
            try {
                all.put(index, CompactedInterval.decode(bytes).merged());
            } catch (RuntimeException e) {
                LOG.warning(() -> "compacted interval " + index + " does not decode: " + e.getMessage());
            }
        });
        return all;
    }
}
