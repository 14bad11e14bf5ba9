package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.spi.merge.MergingValue;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import io.salvo.proto.v1.RunState;
import io.salvo.testkit.TestPlans;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decision Hazelcast's merge makes for the run records and terms when a partition heals: the higher term wins. */
class TermMergePolicyTest {

    private static final LeaderTerm LOW = Terms.of(1, "member-a");
    private static final LeaderTerm HIGH = Terms.of(2, "member-b");
    /** The same counter taken on both sides of a partition: the member id orders them. */
    private static final LeaderTerm SAME_COUNTER_HIGHER_ID = Terms.of(1, "member-c");

    @Test
    void theRunRecordOfTheHigherTermSurvivesWhicheverSideMerges() {
        byte[] endedUnderLow = record(RunState.RUN_STATE_COMPLETED, LOW);
        byte[] runningUnderHigh = record(RunState.RUN_STATE_RUNNING, HIGH);
        TermMergePolicy policy = new TermMergePolicy.Runs();

        // The deposed leader's side survives the merge: the merging, higher-term record replaces its own.
        assertThat(policy.merge(value(runningUnderHigh), value(endedUnderLow))).isSameAs(runningUnderHigh);
        // The higher term's side survives: the lower-term record that merges in is dropped.
        assertThat(policy.merge(value(endedUnderLow), value(runningUnderHigh))).isSameAs(runningUnderHigh);
        // Only one side has it: kept.
        assertThat(policy.merge(value(endedUnderLow), null)).isSameAs(endedUnderLow);

        byte[] sameCounter = record(RunState.RUN_STATE_RUNNING, SAME_COUNTER_HIGHER_ID);
        assertThat(policy.merge(value(sameCounter), value(endedUnderLow))).isSameAs(sameCounter);
        assertThat(policy.merge(value(endedUnderLow), value(sameCounter))).isSameAs(sameCounter);
    }

    @Test
    void equalOrMissingTermsKeepTheSurvivingSidesValueAsPutIfAbsentWould() {
        byte[] one = record(RunState.RUN_STATE_RUNNING, HIGH);
        byte[] other = record(RunState.RUN_STATE_DRAINING, HIGH);
        TermMergePolicy policy = new TermMergePolicy.Runs();
        assertThat(policy.merge(value(one), value(other))).isSameAs(other);

        byte[] withoutTerm = record(RunState.RUN_STATE_RUNNING, LeaderTerm.getDefaultInstance());
        assertThat(policy.merge(value(withoutTerm), value(one))).isSameAs(one);
        assertThat(policy.merge(value(one), value(withoutTerm))).isSameAs(one);
        // An unreadable value counts as written under no term.
        byte[] junk = {0, 0, 0, 9};
        assertThat(TermMergePolicy.keepMerging(junk, one, TermMergePolicy::recordTerm))
                .isFalse();
        assertThat(TermMergePolicy.keepMerging(one, junk, TermMergePolicy::recordTerm))
                .isTrue();
    }

    @Test
    void aTermEntryKeepsTheHigherTerm() {
        TermMergePolicy policy = new TermMergePolicy.TermEntries();
        byte[] low = LOW.toByteArray();
        byte[] high = HIGH.toByteArray();
        assertThat(policy.merge(value(high), value(low))).isSameAs(high);
        assertThat(policy.merge(value(low), value(high))).isSameAs(high);
        assertThat(policy.merge(value(low), value(low.clone()))).isNotSameAs(low);
    }

    @Test
    void theClusterConfigurationUsesThePoliciesForRunsAndTerms() throws Exception {
        Config config = CoordinatorCluster.config(new ClusterSettings("merge", "127.0.0.1", 0, List.of()), null);
        assertThat(config.getMapConfig("salvo.runs").getMergePolicyConfig().getPolicy())
                .isEqualTo(TermMergePolicy.Runs.class.getName());
        assertThat(config.getMapConfig("salvo.terms").getMergePolicyConfig().getPolicy())
                .isEqualTo(TermMergePolicy.TermEntries.class.getName());
        assertThat(config.getMapConfig("salvo.results").getMergePolicyConfig().getPolicy())
                .isEqualTo("com.hazelcast.spi.merge.PutIfAbsentMergePolicy");
        assertThat(config.getMapConfig("salvo.runs").getBackupCount()).isEqualTo(1);
        // Hazelcast instantiates the policies by name, with their no-argument constructor.
        for (Class<?> policy : List.of(TermMergePolicy.Runs.class, TermMergePolicy.TermEntries.class)) {
            assertThat(Class.forName(policy.getName()).getConstructor().newInstance())
                    .isInstanceOf(TermMergePolicy.class);
        }
    }

    private static byte[] record(RunState state, LeaderTerm term) {
        return new RunRecord(
                        "run-1",
                        TestPlans.valid().build(),
                        7,
                        1_000,
                        1_500_000_000L,
                        3_000_000_000L,
                        2,
                        state,
                        0,
                        0,
                        "coordinator-" + term.getMemberId(),
                        List.of(),
                        List.of(),
                        List.of(),
                        List.of(),
                        term)
                .encode();
    }

    /** A value as Hazelcast hands it to a merge policy: here the raw and the deserialized form are the same bytes. */
    private static MergingValue<byte[]> value(byte[] bytes) {
        return new MergingValue<>() {
            @Override
            public byte[] getDeserializedValue() {
                return bytes;
            }

            @Override
            public Object getRawValue() {
                return bytes;
            }
        };
    }
}
