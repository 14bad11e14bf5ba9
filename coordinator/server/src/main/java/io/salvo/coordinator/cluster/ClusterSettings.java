package io.salvo.coordinator.cluster;

import java.util.List;

/**
 * How a coordinator's embedded Hazelcast member finds its peers.
 *
 * @param name    cluster name; coordinators form one cluster only when it (and their cluster token) match
 * @param bind    interface the member listens on and advertises; loopback unless told otherwise
 * @param port    member port; 0 picks a free one (fine for a single member, whose port nobody needs)
 * @param members explicit TCP-IP member list ("host:port"); empty means a single, standalone member
 */
public record ClusterSettings(String name, String bind, int port, List<String> members) {

    public static final String DEFAULT_NAME = "salvo";
    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
        members = List.copyOf(members);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 0..65535, got " + port);
        }
    }

    /** A single member on loopback that joins nobody: what a coordinator is unless clustered. */
    public static ClusterSettings standalone() {
        return new ClusterSettings(DEFAULT_NAME, "127.0.0.1", 0, List.of());
    }

    public boolean clustered() {
        return !members.isEmpty();
    }
}
