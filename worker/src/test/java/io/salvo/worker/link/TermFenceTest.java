package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import org.junit.jupiter.api.Test;

/** The worker admits what comes from the highest term it has seen, or a higher one; never from a lower one. */
class TermFenceTest {

    @Test
    void lowerTermsAreRefusedAndTheMemberIdBreaksTies() {
        TermFence fence = new TermFence();
        assertThat(fence.admit(Terms.of(2, "b"))).isTrue();
        assertThat(fence.admit(Terms.of(1, "z"))).isFalse();
        // The same counter taken on both sides of a partition: the member id orders them.
        assertThat(fence.admit(Terms.of(2, "a"))).isFalse();
        assertThat(fence.admit(Terms.of(2, "b"))).isTrue();
        assertThat(fence.admit(Terms.of(2, "c"))).isTrue();
        assertThat(fence.admit(Terms.of(2, "b"))).isFalse();
        assertThat(fence.highest()).isEqualTo(Terms.of(2, "c"));
    }

    @Test
    void aMessageWithoutATermIsNotFenced() {
        TermFence fence = new TermFence();
        assertThat(fence.admit(LeaderTerm.getDefaultInstance())).isTrue();
        assertThat(fence.admit(Terms.of(5, "a"))).isTrue();
        assertThat(fence.admit(LeaderTerm.getDefaultInstance())).isTrue();
        assertThat(fence.highest()).isEqualTo(Terms.of(5, "a"));
    }
}
