package io.salvo.core.term;

import io.salvo.proto.v1.LeaderTerm;
import java.util.Comparator;

/**
 * How leadership terms ({@link LeaderTerm}) compare, the same on the coordinator and the worker: by counter, then by
 * member id. The unset term (counter 0) is lower than every term a coordinator takes (counters start at 1), and a
 * message without a term is not fenced at all (see {@link #isSet}).
 */
public final class Terms {

    /** By counter, then by member id. */
    public static final Comparator<LeaderTerm> ORDER =
            Comparator.comparingLong(LeaderTerm::getCounter).thenComparing(LeaderTerm::getMemberId);

    private Terms() {}

    /** Whether a message carries a term (coordinators before terms sent none). */
    public static boolean isSet(LeaderTerm term) {
        return term.getCounter() > 0;
    }

    public static boolean lower(LeaderTerm a, LeaderTerm b) {
        return ORDER.compare(a, b) < 0;
    }

    public static LeaderTerm max(LeaderTerm a, LeaderTerm b) {
        return ORDER.compare(a, b) >= 0 ? a : b;
    }

    public static LeaderTerm of(long counter, String memberId) {
        return LeaderTerm.newBuilder().setCounter(counter).setMemberId(memberId).build();
    }

    /** For logs: "7/3f2a9c1e" (the member id shortened to 8 characters). */
    public static String describe(LeaderTerm term) {
        String member = term.getMemberId();
        return term.getCounter() + "/" + (member.length() > 8 ? member.substring(0, 8) : member);
    }
}
