package io.salvo.worker.link;

import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;

/**
 * The worker's side of fenced leadership: it remembers the highest coordinator term it has seen (for the life of the
 * process, across runs and coordinators) and refuses what comes from a lower one.
 *
 * <p>Assumptions and guarantees: confined to the agent's link thread. A message without a term (a coordinator
 * before terms) is admitted and changes nothing. A message with a term at least as high as the highest seen is
 * admitted and raises it.
 */
final class TermFence {

    private LeaderTerm highest = LeaderTerm.getDefaultInstance();

    /** Whether a message of this term may be obeyed; raises the highest term seen when it may. */
    boolean admit(LeaderTerm term) {
        if (!Terms.isSet(term)) {
            return true;
        }
        if (Terms.lower(term, highest)) {
            return false;
        }
        highest = term;
        return true;
    }

    LeaderTerm highest() {
        return highest;
    }
}
