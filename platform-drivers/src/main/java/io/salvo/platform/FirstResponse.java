package io.salvo.platform;

import java.time.Instant;

/**
 * The first response an instance served, as the load generator saw it ({@code Salvo-Instance-Request-Seq} 1): the
 * last boundary of a cold start, which only the responses know.
 *
 * @param instanceId      value of {@code Salvo-Instance-Id}
 * @param at              completion instant of that response
 * @param modelLoadMillis value of {@code Salvo-Model-Load-Ms}; null when absent
 */
public record FirstResponse(String instanceId, Instant at, Long modelLoadMillis) {}
