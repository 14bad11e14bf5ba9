package io.salvo.worker.link;

import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.ServerNames;
import io.salvo.core.security.TlsFiles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a worker process joins a coordinator.
 *
 * @param coordinators coordinator addresses, tried in turn until one accepts the stream
 * @param workerId unique per worker process
 * @param region free-form location label used to group results
 * @param weight relative capacity for slicing (≥ 1)
 * @param eventLoopLanes event-loop lanes of the HTTP engine (≥ 1)
 * @param token the cluster token sent with the stream, or null for a coordinator without authentication
 * @param tls TLS material for the link, or null for plaintext
 * @param tlsServerName with TLS, the name the coordinator's certificate must carry when it is not the host dialled
 *     (an address, or a load balancer's name), or null to check the host dialled
 * @param warmupRequests loopback requests that compile the request path before the worker joins (0: none); fewer
 *     than the default leave JIT work to a run's first second, where cold starts are measured
 */
public record WorkerOptions(
        List<InetSocketAddress> coordinators,
        String workerId,
        String region,
        int weight,
        int eventLoopLanes,
        ClusterToken token,
        TlsFiles tls,
        String tlsServerName,
        int warmupRequests) {

    /** Enough for the JIT to compile the hot path (C2 thresholds are around 10,000 invocations). */
    public static final int DEFAULT_WARMUP_REQUESTS = 6000;

    /** Plaintext, unauthenticated: for in-process tests and coordinators that run without a token. */
    public WorkerOptions(
            List<InetSocketAddress> coordinators, String workerId, String region, int weight, int eventLoopLanes) {
        this(coordinators, workerId, region, weight, eventLoopLanes, null, null, null, DEFAULT_WARMUP_REQUESTS);
    }

    /** With the default warm-up. */
    public WorkerOptions(
            List<InetSocketAddress> coordinators,
            String workerId,
            String region,
            int weight,
            int eventLoopLanes,
            ClusterToken token,
            TlsFiles tls) {
        this(coordinators, workerId, region, weight, eventLoopLanes, token, tls, null, DEFAULT_WARMUP_REQUESTS);
    }

    /** The same worker with another warm-up. */
    public WorkerOptions withWarmupRequests(int requests) {
        return new WorkerOptions(
                coordinators, workerId, region, weight, eventLoopLanes, token, tls, tlsServerName, requests);
    }

    public WorkerOptions {
        coordinators = List.copyOf(coordinators);
        if (coordinators.isEmpty()) {
            throw new IllegalArgumentException("at least one coordinator address is needed");
        }
        if (weight < 1 || eventLoopLanes < 1) {
            throw new IllegalArgumentException("weight and eventLoopLanes must be >= 1");
        }
        if (warmupRequests < 0) {
            throw new IllegalArgumentException("warmupRequests must be >= 0, got " + warmupRequests);
        }
        if (tlsServerName != null && (tls == null || !ServerNames.isDnsName(tlsServerName))) {
            throw new IllegalArgumentException(
                    "a TLS server name needs TLS and must be a DNS name, got '" + tlsServerName + "'");
        }
    }

    /** Host name plus a random suffix, region "", weight 1, min(cores, 4) lanes. */
    public static WorkerOptions defaults(List<InetSocketAddress> coordinators) {
        return new WorkerOptions(
                coordinators,
                defaultWorkerId(),
                "",
                1,
                Math.min(Runtime.getRuntime().availableProcessors(), 4));
    }

    static String defaultWorkerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "worker";
        }
        return host + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    }
}
