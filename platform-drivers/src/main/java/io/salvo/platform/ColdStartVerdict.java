package io.salvo.platform;

import java.util.Set;

/**
 * Whether a forced cold start really met a fresh instance, judged by the {@code Salvo-Instance-Id} (and
 * {@code Salvo-Instance-Started-At}) of the first response after it, as {@link PlatformDriver#observeResponses}
 * reported it.
 *
 * @param state           the verdict
 * @param firstInstanceId the instance that answered first after the forced cold start; null while pending
 * @param idsBefore       the instance ids seen before it
 */
public record ColdStartVerdict(State state, String firstInstanceId, Set<String> idsBefore) {

    public enum State {
        /** no cold start was forced */
        NOT_FORCED,
        /** forced, but no response with an instance id has been seen since */
        PENDING,
        /** the first response after it came from an instance never seen before */
        VERIFIED,
        /** the first response after it came from an instance seen before: the cold start did not happen */
        REUSED_INSTANCE,
        /**
         * a new instance, but one that started before the cold start was complete (Salvo-Instance-Started-At): e.g.
         * the instance Cloud Run starts when it deploys a revision, still idle; the request did not wait for a start
         */
        PRESTARTED_INSTANCE
    }

    public ColdStartVerdict {
        idsBefore = Set.copyOf(idsBefore);
    }

    /** No cold start was forced (or the driver does not judge them). */
    public static ColdStartVerdict notForced() {
        return new ColdStartVerdict(State.NOT_FORCED, null, Set.of());
    }
}
