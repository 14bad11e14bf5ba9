package io.salvo.detect;

/** Where the detectors learned about instances; fixed for a run by its first successful interval. */
public enum InstanceSource {
    /** The {@code Salvo-Instance-Id} response header (captured by the workers). */
    RESPONSE_HEADERS,
    /** The platform driver's instance life cycles, because responses carried no instance id. */
    PLATFORM_SIGNALS,
    /** Neither: no cold-start events can be decided. */
    NONE,
    /** No successful response yet, so the source is not decided. */
    UNDECIDED
}
