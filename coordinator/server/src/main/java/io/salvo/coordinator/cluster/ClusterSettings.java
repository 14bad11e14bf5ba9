package io.salvo.coordinator.cluster;

import java.util.List;
import java.util.Map;

/**
 * How a coordinator's embedded Hazelcast member finds its peers.
 *
 * @param name       cluster name; coordinators form one cluster only when it (and their cluster token) match
 * @param bind       interface the member listens on and advertises; loopback unless told otherwise
 * @param port       member port; 0 picks a free one (fine for a single member, whose port nobody needs)
 * @param members    explicit TCP-IP member list ("host:port"); empty means no TCP-IP join
 * @param kubernetes Hazelcast's Kubernetes discovery instead of a member list, or null
 * @param publicAddress the "host:port" peers are told to reach this member at (NAT, a proxy), or null for the bound
 *                      address
 * @param hazelcastProperties Hazelcast properties set after the coordinator's own (tests: shorter failure detection
 *                      and split-brain merge delays)
 */
public record ClusterSettings(
        String name,
        String bind,
        int port,
        List<String> members,
        Kubernetes kubernetes,
        String publicAddress,
        Map<String, String> hazelcastProperties) {

    public static final String DEFAULT_NAME = "salvo";
    public static final int DEFAULT_PORT = 5701;

    public ClusterSettings {
        members = List.copyOf(members);
        hazelcastProperties = Map.copyOf(hazelcastProperties);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("cluster name must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 0..65535, got " + port);
        }
        if (kubernetes != null && !members.isEmpty()) {
            // Hazelcast refuses two join methods at once; say so before it does, in our terms.
            throw new IllegalArgumentException("give either a cluster member list or Kubernetes discovery, not both");
        }
        if (kubernetes != null && port == 0) {
            throw new IllegalArgumentException("Kubernetes discovery needs a fixed cluster port: peers dial it");
        }
    }

    /** A cluster joined through an explicit member list or Kubernetes discovery. */
    public ClusterSettings(String name, String bind, int port, List<String> members, Kubernetes kubernetes) {
        this(name, bind, port, members, kubernetes, null, Map.of());
    }

    /** A cluster joined through an explicit member list (or a single member when it is empty). */
    public ClusterSettings(String name, String bind, int port, List<String> members) {
        this(name, bind, port, members, null);
    }

    /** These settings, advertising {@code hostPort} to peers instead of the bound address. */
    public ClusterSettings withPublicAddress(String hostPort) {
        return new ClusterSettings(name, bind, port, members, kubernetes, hostPort, hazelcastProperties);
    }

    /** These settings with Hazelcast properties that override the coordinator's own. */
    public ClusterSettings withHazelcastProperties(Map<String, String> properties) {
        return new ClusterSettings(name, bind, port, members, kubernetes, publicAddress, properties);
    }

    /** A single member on loopback that joins nobody: what a coordinator is unless clustered. */
    public static ClusterSettings standalone() {
        return new ClusterSettings(DEFAULT_NAME, "127.0.0.1", 0, List.of());
    }

    public boolean clustered() {
        return !members.isEmpty() || kubernetes != null;
    }

    /**
     * Hazelcast's built-in Kubernetes discovery, in one of its two modes.
     *
     * <ul>
     *   <li>DNS lookup ({@code serviceDns} set): the members are the addresses a headless Service's DNS name
     *       resolves to. Needs no access to the Kubernetes API, so the coordinator's ServiceAccount needs no
     *       role at all; the Service must publish not-ready addresses, because a coordinator becomes ready only
     *       after it has joined its peers.
     *   <li>API ({@code serviceName} set, {@code serviceDns} null): the members are the endpoints of that Service in
     *       {@code namespace} (null: the pod's own namespace), read from the Kubernetes API, which needs get and
     *       list on endpoints, endpointslices and pods in that namespace.
     * </ul>
     */
    public record Kubernetes(String serviceDns, String namespace, String serviceName) {

        public Kubernetes {
            boolean dns = serviceDns != null && !serviceDns.isBlank();
            boolean api = serviceName != null && !serviceName.isBlank();
            if (dns == api) {
                throw new IllegalArgumentException(
                        "Kubernetes discovery needs exactly one of a service DNS name or a service name");
            }
            if (dns && namespace != null) {
                throw new IllegalArgumentException(
                        "the DNS name of the service already names its namespace; give no namespace with it");
            }
        }

        public static Kubernetes dns(String serviceDns) {
            return new Kubernetes(serviceDns, null, null);
        }

        public static Kubernetes api(String namespace, String serviceName) {
            return new Kubernetes(null, namespace, serviceName);
        }

        public boolean dnsMode() {
            return serviceDns != null;
        }
    }
}
