package io.salvo.coordinator.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import java.util.function.Function;

/**
 * How Hazelcast merges an entry when a partition between coordinators heals: the value written under the higher
 * leadership term survives, whichever side of the partition Hazelcast keeps (its default, put-if-absent, keeps the
 * surviving side's value, which may be the deposed leader's). On equal terms (or values without a term) the
 * surviving side's value stays, as with put-if-absent; an entry only the merging side has is added.
 *
 * <p>Hazelcast instantiates the policy by class name on every member (and may send it between members as a
 * {@code DataSerializable} with no fields): {@link Runs} for {@code salvo.runs} (the term in the run's record) and
 * {@link TermEntries} for {@code salvo.terms} (the term itself; a {@code learned:} entry keeps the higher).
 */
public abstract class TermMergePolicy implements SplitBrainMergePolicy<byte[], MergingValue<byte[]>, Object> {

    private final Function<byte[], LeaderTerm> termOf;

    TermMergePolicy(Function<byte[], LeaderTerm> termOf) {
        this.termOf = termOf;
    }

    @Override
    public Object merge(MergingValue<byte[]> merging, MergingValue<byte[]> existing) {
        if (existing == null) {
            return merging.getRawValue();
        }
        byte[] mergingValue = merging.getDeserializedValue();
        byte[] existingValue = existing.getDeserializedValue();
        return keepMerging(mergingValue, existingValue, termOf) ? merging.getRawValue() : existing.getRawValue();
    }

    /**
     * The merge decision: whether the merging side's value replaces the surviving side's. Only when it was written
     * under a strictly higher term; an unreadable value counts as having no term.
     */
    public static boolean keepMerging(byte[] merging, byte[] existing, Function<byte[], LeaderTerm> termOf) {
        if (existing == null) {
            return merging != null;
        }
        if (merging == null) {
            return false;
        }
        return Terms.lower(safeTerm(existing, termOf), safeTerm(merging, termOf));
    }

    private static LeaderTerm safeTerm(byte[] value, Function<byte[], LeaderTerm> termOf) {
        try {
            return termOf.apply(value);
        } catch (RuntimeException e) {
            return LeaderTerm.getDefaultInstance();
        }
    }

    /** The term a run record was written under. */
    public static LeaderTerm recordTerm(byte[] record) {
        return RunRecord.decode(record).term();
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // stateless
    }

    @Override
    public void readData(ObjectDataInput in) {
        // stateless
    }

    /** For {@code salvo.runs}: the record of the higher term's leader survives. */
    public static final class Runs extends TermMergePolicy {
        public Runs() {
            super(TermMergePolicy::recordTerm);
        }
    }

    /** For {@code salvo.terms}: the higher term survives under each key. */
    public static final class TermEntries extends TermMergePolicy {
        public TermEntries() {
            super(CoordinatorCluster::parseTerm);
        }
    }
}
