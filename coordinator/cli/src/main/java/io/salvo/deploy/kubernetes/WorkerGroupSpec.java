package io.salvo.deploy.kubernetes;

import io.salvo.core.security.ServerNames;
import java.util.regex.Pattern;

/**
 * One group of workers in one region, as {@code salvo deploy workers} asks for it.
 *
 * @param namespace          where the Job goes (and where the token Secret must be)
 * @param region             region label, passed to every worker as {@code --region} and used as a node selector
 *                           on {@code topology.kubernetes.io/region} unless {@code pinToRegion} is off
 * @param replicas           workers (Job completions and parallelism)
 * @param image              the Salvo image (its entrypoint is the {@code salvo} command)
 * @param coordinator        the address workers dial, {@code host:port[,host:port…]}
 * @param tokenSecret        Secret holding the cluster token under the key {@code token}
 * @param cpu                CPU request and limit per worker, in Kubernetes quantity syntax
 * @param memory             memory request and limit per worker
 * @param pinToRegion        whether pods are placed only on nodes labelled with the region
 * @param deploymentId       distinguishes this group's objects from every other deployment's
 * @param tlsCaSecret        Secret holding, under the key {@code ca.crt}, the CA that signed the coordinators'
 *                           certificate, for workers dialling a coordinator with TLS; null for plaintext
 * @param tlsServerName      with TLS, the name the coordinators' certificate carries when {@code coordinator} is
 *                           another (an address, a load balancer's name); null to check the host dialled
 */
public record WorkerGroupSpec(
        String namespace,
        String region,
        int replicas,
        String image,
        String coordinator,
        String tokenSecret,
        String cpu,
        String memory,
        boolean pinToRegion,
        String deploymentId,
        String tlsCaSecret,
        String tlsServerName) {

    public static final String DEFAULT_IMAGE = "registry.example.invalid/salvo/salvo:0.1.0";
    public static final String DEFAULT_COORDINATOR = "salvo-coordinator:7100";
    public static final String DEFAULT_TOKEN_SECRET = "salvo-cluster-token";
    /** Workers scale with cores; the benchmark figures were measured on 2-core workers. */
    public static final String DEFAULT_CPU = "2";

    public static final String DEFAULT_MEMORY = "1Gi";
    /** A label value and part of a Job name: a DNS label, leaving room for the Job's prefix and suffixes. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?");

    /** A plaintext group: workers dial the coordinators without TLS. */
    public WorkerGroupSpec(
            String namespace,
            String region,
            int replicas,
            String image,
            String coordinator,
            String tokenSecret,
            String cpu,
            String memory,
            boolean pinToRegion,
            String deploymentId) {
        this(
                namespace,
                region,
                replicas,
                image,
                coordinator,
                tokenSecret,
                cpu,
                memory,
                pinToRegion,
                deploymentId,
                null,
                null);
    }

    public WorkerGroupSpec {
        if (replicas < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1, got " + replicas);
        }
        if (replicas > 10_000) {
            throw new IllegalArgumentException("--replicas must be at most 10000, got " + replicas);
        }
        if (region == null || !DNS_LABEL.matcher(region).matches()) {
            throw new IllegalArgumentException("--region must be a lower-case DNS label of at most 40 characters"
                    + " (letters, digits, '-'), got '" + region + "'");
        }
        if (namespace == null || !Pattern.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", namespace)) {
            throw new IllegalArgumentException("--namespace must be a DNS label, got '" + namespace + "'");
        }
        if (deploymentId == null || !DNS_LABEL.matcher(deploymentId).matches()) {
            throw new IllegalArgumentException("deployment id must be a DNS label, got '" + deploymentId + "'");
        }
        if (("salvo-workers-" + region + "-" + deploymentId).length() > 63) {
            // Kubernetes copies the Job's name into a label on every pod, and label values stop at 63 characters.
            throw new IllegalArgumentException(
                    "--region '" + region + "' is too long for a Job name with deployment id '" + deploymentId + "'");
        }
        requireText(image, "--image");
        requireText(coordinator, "--coordinator");
        requireText(tokenSecret, "--token-secret");
        requireText(cpu, "--cpu");
        requireText(memory, "--memory");
        if (tlsCaSecret != null) {
            requireText(tlsCaSecret, "--tls-ca-secret");
        }
        if (tlsServerName != null) {
            if (tlsCaSecret == null) {
                throw new IllegalArgumentException("--tls-server-name applies to TLS: give the Secret holding the CA"
                        + " that signed the coordinators' certificate with --tls-ca-secret");
            }
            if (!ServerNames.isDnsName(tlsServerName)) {
                throw new IllegalArgumentException("--tls-server-name must be a DNS name, got '" + tlsServerName + "'");
            }
        }
    }

    private static void requireText(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option + " must not be empty");
        }
    }

    /** The Job's name: region and deployment id, so groups of one region can coexist and be told apart. */
    public String jobName() {
        return "salvo-workers-" + region + "-" + deploymentId;
    }
}
