package io.salvo.platform.kubernetes;

import java.time.Instant;

/**
 * A node as the API server recorded it.
 *
 * @param name         node name
 * @param createdAt    {@code metadata.creationTimestamp}: when a provisioned node registered
 * @param readyAt      the {@code Ready} condition's transition to True; null while not ready
 * @param instanceType the {@code node.kubernetes.io/instance-type} label; null when absent
 */
public record NodeTimeline(String name, Instant createdAt, Instant readyAt, String instanceType) {}
