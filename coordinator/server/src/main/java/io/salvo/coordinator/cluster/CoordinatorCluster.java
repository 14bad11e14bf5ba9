package io.salvo.coordinator.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.KubernetesConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.topic.ITopic;
import io.salvo.coordinator.spill.SpillDirectory;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.term.Terms;
import io.salvo.proto.v1.LeaderTerm;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The coordinator's embedded Hazelcast member: the replicated state's maps and topics, and leader
 * election. The leader is the oldest member (Hazelcast lists members oldest first and every member
 * sees the same list), so no CP subsystem is needed; with two coordinators a CP group could not
 * survive the loss of one anyway.
 *
 * <p>Maps, all with one synchronous backup:
 * <ul>
 *   <li>{@code salvo.runs}: run id → {@link RunRecord}</li>
 *   <li>{@code salvo.workers}: worker id → {@link WorkerLocation}</li>
 *   <li>{@code salvo.results}: run id → final {@code RunResult}</li>
 *   <li>{@code salvo.stop-requests}: run id → reason</li>
 *   <li>{@code salvo.coordinators}: member id → coordinator id and gRPC address</li>
 *   <li>{@code salvo.terms}: member id → the leadership term it took; "learned:" + member id → the highest
 *       term it heard of from a worker ({@code LeaderTerm})</li>
 *   <li>{@code salvo.archived-runs}: run id → end instant (Unix ns) of an ended run whose per-run maps below were
 *       dropped after the retention period; its record and final result stay</li>
 *   <li>{@code salvo.run.<id>.reports}: "interval/worker" → {@code IntervalReport} bytes</li>
 *   <li>{@code salvo.run.<id>.compacted}: interval index → {@link CompactedInterval}, in place of that
 *       interval's reports once it is older than the grace period plus the compaction margin; under key
 *       {@value #SEALED_COUNTS_KEY}, the run's {@link SealedCounts}; sealed intervals leave it for every member's disk
 *       ({@link SpillReplicas})</li>
 *   <li>{@code salvo.spilled-batches}: run id → how many batches of sealed entries and old snapshots every member
 *       holds on disk ({@link SpillReplicas})</li>
 *   <li>{@code salvo.run.<id>.events}: worker id → its terminal {@code WorkerEvent}</li>
 *   <li>{@code salvo.run.<id>.snapshots}: sequence → {@code LiveSnapshot}</li>
 *   <li>{@code salvo.run.<id>.rejections}: member id → {@link RejectionTally}</li>
 * </ul>
 * Topics: {@code salvo.to-workers} ({@link WorkerEnvelope}) and {@code salvo.liveness} ({@link Liveness}).
 */
public final class CoordinatorCluster implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinatorCluster.class.getName());
    /** Held strongly: JUL forgets the level of a logger nobody references. */
    private static final List<Logger> QUIETED = List.of(
            Logger.getLogger("com.hazelcast"),
            // Says that it runs without --add-opens (slower serialization paths); not worth a warning per start.
            Logger.getLogger("com.hazelcast.instance.impl.HazelcastInstanceFactory"),
            // A standalone member is what a single coordinator is meant to be.
            Logger.getLogger("com.hazelcast.instance.impl.Node"));

    private final HazelcastInstance hz;
    private final String memberId;
    private final List<Consumer<String>> memberLeftListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> leadershipListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> leadershipLostListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> memberJoinedListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> mergedListeners = new CopyOnWriteArrayList<>();
    private volatile boolean leader;
    /** Guarded by this: the term taken in the current leadership, null until one is taken (or while a follower). */
    private LeaderTerm term;

    private final SpillReplicas spill;

    private CoordinatorCluster(HazelcastInstance hz, SpillDirectory spillDirectory) {
        this.hz = hz;
        this.memberId = idOf(hz.getCluster().getLocalMember());
        this.spill = new SpillReplicas(hz, spillDirectory);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                LOG.info(
                        () -> "coordinator cluster: member " + event.getMember().getAddress() + " joined");
                evaluateLeadership();
                for (Runnable listener : memberJoinedListeners) {
                    try {
                        listener.run();
                    } catch (RuntimeException e) {
                        LOG.log(Level.SEVERE, "member-joined handler failed", e);
                    }
                }
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String left = idOf(event.getMember());
                LOG.warning(
                        () -> "coordinator cluster: member " + event.getMember().getAddress() + " left");
                // Listeners first (they detach the streams that member held), then leadership.
                for (Consumer<String> listener : memberLeftListeners) {
                    try {
                        listener.accept(left);
                    } catch (RuntimeException e) {
                        LOG.log(Level.SEVERE, "member-left handler failed", e);
                    }
                }
                evaluateLeadership();
            }
        });
        hz.getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                onMerged();
            }
        });
        evaluateLeadership();
    }

    /**
     * This member's side of a partition merged into the other side (Hazelcast reset it, with a new member uuid but the
     * same member id attribute, and merged its entries into the surviving side's through the merge policies): its own
     * view of runs is stale now.
     * Listeners first, then the cluster's leader is told on {@link #heals()} that the merged state is complete.
     */
    private void onMerged() {
        LOG.warning(() -> "coordinator cluster: this member merged into the other side of a healed partition");
        for (Runnable listener : mergedListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "merged handler failed", e);
            }
        }
        try {
            heals().publish(memberId);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not announce the heal", e);
        }
    }

    /** Called (on a Hazelcast thread) when this member merged into the other side of a healed partition. */
    public void onMerged(Runnable listener) {
        mergedListeners.add(listener);
    }

    /**
     * A member that merged into this side of a healed partition announces it here once its entries are merged: the
     * leader then reconciles the merged state (see the run manager).
     */
    public ITopic<String> heals() {
        return hz.getTopic("salvo.heals");
    }

    /**
     * Starts the member; returns once it has joined its cluster (or stands alone) and, when it
     * joined others, once every partition has its backup again: a member that answered before its
     * replicas arrived would be a standby without the state it is meant to take over.
     */
    public static CoordinatorCluster start(ClusterSettings settings, ClusterToken token) {
        QUIETED.get(0).setLevel(Level.WARNING);
        QUIETED.get(1).setLevel(Level.SEVERE);
        QUIETED.get(2).setLevel(Level.SEVERE);
        // The spill directory first, in the member's context before it joins: a peer's spill task finds it at once.
        SpillDirectory spillDirectory = SpillDirectory.createDefault();
        HazelcastInstance hz;
        try {
            Config config = config(settings, token);
            config.getUserContext().put(SpillReplicas.USER_CONTEXT_KEY, spillDirectory);
            hz = Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            spillDirectory.close();
            throw e;
        }
        CoordinatorCluster cluster = new CoordinatorCluster(hz, spillDirectory);
        cluster.awaitReplicasInSync(SAFE_START_TIMEOUT_NANOS);
        cluster.spill.catchUp();
        return cluster;
    }

    private static final long SAFE_START_TIMEOUT_NANOS = 30_000_000_000L;

    private void awaitReplicasInSync(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!hz.getPartitionService().isClusterSafe()) {
            if (System.nanoTime() > deadline) {
                LOG.warning("coordinator cluster: replicas still migrating after " + timeoutNanos / 1_000_000_000L
                        + " s; serving anyway");
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The member attribute that holds a coordinator's member id. Not Hazelcast's member uuid: Hazelcast gives the
     * members of a side that merges into the other after a partition new uuids, and a coordinator's id must outlive
     * that (its workers' entries, its terms and its liveness name it).
     */
    static final String MEMBER_ID_ATTRIBUTE = "salvo.member-id";

    /** A member's coordinator member id (its uuid when it has none: a member of another make). */
    static String idOf(Member member) {
        String id = member.getAttribute(MEMBER_ID_ATTRIBUTE);
        return id != null ? id : member.getUuid().toString();
    }

    static Config config(ClusterSettings settings, ClusterToken token) {
        Config config = new Config();
        config.getMemberAttributeConfig()
                .setAttribute(MEMBER_ID_ATTRIBUTE, java.util.UUID.randomUUID().toString());
        config.setClusterName(effectiveClusterName(settings.name(), token));
        config.setInstanceName("salvo-coordinator-" + java.util.UUID.randomUUID());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "jdk");
        // The coordinator shuts its member down itself, after its gRPC server.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // Fail over within seconds: a killed peer's refused connection is seen at once, a hung one
        // misses 5 s of 1 s heartbeats.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.socket.bind.any", "false");
        // A handful of coordinators hold little data: fewer partitions migrate and repair faster
        // when a member joins or leaves. Must be the same on every member (it is: same code).
        config.setProperty("hazelcast.partition.count", "71");
        settings.hazelcastProperties().forEach(config::setProperty);
        config.getJetConfig().setEnabled(false);
        // Nobody reads Hazelcast's own metrics (no Management Center, no JMX scraper), and collecting
        // them is a sweep over every map and the OS counters every 5 s, plus the JIT work for code
        // only that sweep runs: measurable next to merging a thousand reports per second.
        config.getMetricsConfig().setEnabled(false);
        config.setProperty("hazelcast.health.monitoring.level", "OFF");
        // Values are byte arrays; nothing of ours is Java-serialized. Keep the known gadget classes out anyway.
        config.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig());

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(settings.bind());
        if (settings.publicAddress() != null) {
            network.setPublicAddress(settings.publicAddress());
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(!settings.members().isEmpty());
        settings.members().forEach(join.getTcpIpConfig()::addMember);
        ClusterSettings.Kubernetes kubernetes = settings.kubernetes();
        if (kubernetes != null) {
            KubernetesConfig k8s = join.getKubernetesConfig().setEnabled(true);
            // Peers are dialled on our own member port: every coordinator of the Deployment uses the same one.
            k8s.setProperty("service-port", Integer.toString(settings.port()));
            if (kubernetes.dnsMode()) {
                k8s.setProperty("service-dns", kubernetes.serviceDns());
            } else {
                k8s.setProperty("service-name", kubernetes.serviceName());
                if (kubernetes.namespace() != null) {
                    k8s.setProperty("namespace", kubernetes.namespace());
                }
            }
        }

        // Per-map statistics (hits, timings) are counted on every operation for the same readers that do not exist.
        config.addMapConfig(new MapConfig("salvo.*")
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(false));
        // After a partition heals, the run record and the terms written under the higher leadership term survive.
        config.addMapConfig(new MapConfig("salvo.runs")
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(false)
                .setMergePolicyConfig(new MergePolicyConfig().setPolicy(TermMergePolicy.Runs.class.getName())));
        // A spilled-batch count: the higher survives (the side that went on spilling has the segments to copy).
        config.addMapConfig(new MapConfig(SpillReplicas.BATCHES_MAP)
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(false)
                .setMergePolicyConfig(new MergePolicyConfig().setPolicy(SpillReplicas.HigherCount.class.getName())));
        config.addMapConfig(new MapConfig("salvo.terms")
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setStatisticsEnabled(false)
                .setMergePolicyConfig(new MergePolicyConfig().setPolicy(TermMergePolicy.TermEntries.class.getName())));
        return config;
    }

    /**
     * The Hazelcast cluster name: the given name plus a digest of the cluster token, so a member
     * without the token cannot join by accident or by guessing the name. Open-source Hazelcast
     * has no member authentication; this is a shared-secret check, not a substitute for keeping the
     * member port on loopback or a private network.
     */
    static String effectiveClusterName(String name, ClusterToken token) {
        if (token == null) {
            return name;
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("salvo-cluster:" + name + ":").getBytes(StandardCharsets.UTF_8));
            sha.update(token.reveal().getBytes(StandardCharsets.UTF_8));
            return name + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private synchronized void evaluateLeadership() {
        boolean now = isOldestMember();
        boolean gained = now && !leader;
        boolean lost = !now && leader;
        leader = now;
        if (gained || lost) {
            term = null;
        }
        if (lost) {
            LOG.warning(() -> "coordinator cluster: this coordinator is no longer the leader");
            for (Runnable listener : leadershipLostListeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "leadership-lost handler failed", e);
                }
            }
        }
        if (gained) {
            LOG.info(() -> "coordinator cluster: this coordinator is the leader");
            for (Runnable listener : leadershipListeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.SEVERE, "leadership handler failed", e);
                }
            }
        }
    }

    private boolean isOldestMember() {
        Set<Member> members = hz.getCluster().getMembers();
        return !members.isEmpty() && members.iterator().next().localMember();
    }

    public boolean isLeader() {
        return leader;
    }

    /** The leader's member id: the oldest member's. */
    public String leaderMemberId() {
        Set<Member> members = hz.getCluster().getMembers();
        return members.isEmpty() ? memberId : idOf(members.iterator().next());
    }

    public String memberId() {
        return memberId;
    }

    /** True while this member is the only one of its cluster. */
    public boolean alone() {
        return hz.getCluster().getMembers().size() <= 1;
    }

    public Set<String> memberIds() {
        Set<String> ids = new LinkedHashSet<>();
        hz.getCluster().getMembers().forEach(m -> ids.add(idOf(m)));
        return ids;
    }

    /** The member's own address, for the startup line. */
    public InetSocketAddress address() {
        try {
            return hz.getCluster().getLocalMember().getAddress().getInetSocketAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Called (on a Hazelcast thread) when a member leaves, with its id, before leadership is re-evaluated. */
    public void onMemberLeft(Consumer<String> listener) {
        memberLeftListeners.add(listener);
    }

    /** Called when this member becomes the leader after having been a follower. */
    public void onLeadershipGained(Runnable listener) {
        leadershipListeners.add(listener);
    }

    /** Called (on a Hazelcast thread) when a member joins, after leadership is re-evaluated. */
    public void onMemberJoined(Runnable listener) {
        memberJoinedListeners.add(listener);
    }

    /** Called when this member stops being the leader (a member older than it is back, after a partition healed). */
    public void onLeadershipLost(Runnable listener) {
        leadershipLostListeners.add(listener);
    }

    /**
     * This leader's term, higher than {@code atLeast} and than every term in {@code salvo.terms}: the one taken in
     * the current leadership when it is high enough, else a new one (counter one above the highest found, this
     * member's id), stored under this member before it is returned. With an AP store both sides of a partition may
     * take the same counter; the member id still orders them.
     */
    public synchronized LeaderTerm leaderTerm(LeaderTerm atLeast) {
        LeaderTerm highest = atLeast;
        for (byte[] bytes : terms().values()) {
            highest = Terms.max(highest, parseTerm(bytes));
        }
        if (term != null && !Terms.lower(term, highest) && Terms.lower(atLeast, term)) {
            return term;
        }
        LeaderTerm next = Terms.of(highest.getCounter() + 1, memberId);
        terms().set(memberId, next.toByteArray());
        term = next;
        LeaderTerm taken = next;
        LOG.info(() -> "coordinator cluster: leading under term " + Terms.describe(taken));
        return next;
    }

    /**
     * A term this coordinator heard of from elsewhere (a worker that refused one of its messages): stored in
     * {@code salvo.terms} so that every coordinator of this side learns it too.
     */
    public void learnedTerm(LeaderTerm learned) {
        String key = "learned:" + memberId;
        byte[] known = terms().get(key);
        if (known == null || Terms.lower(parseTerm(known), learned)) {
            terms().set(key, learned.toByteArray());
        }
    }

    /** Leadership terms: member id → the term it took, and "learned:" + member id → the highest it heard of. */
    public IMap<String, byte[]> terms() {
        return hz.getMap("salvo.terms");
    }

    public static LeaderTerm parseTerm(byte[] bytes) {
        if (bytes == null) {
            return LeaderTerm.getDefaultInstance();
        }
        try {
            return LeaderTerm.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return LeaderTerm.getDefaultInstance();
        }
    }

    /** Hazelcast's cluster clock minus this machine's clock, milliseconds. */
    public long clusterTimeOffsetMillis() {
        return hz.getCluster().getClusterTime() - System.currentTimeMillis();
    }

    public IMap<String, byte[]> runs() {
        return hz.getMap("salvo.runs");
    }

    public IMap<String, byte[]> workers() {
        return hz.getMap("salvo.workers");
    }

    public IMap<String, byte[]> results() {
        return hz.getMap("salvo.results");
    }

    public IMap<String, String> stopRequests() {
        return hz.getMap("salvo.stop-requests");
    }

    /**
     * The current header sets of each running run's requests (an encoded {@code RequestHeaderSets}, highest generation
     * pushed so far), written by whichever coordinator a client pushed them to and acted on by the run's leader; a
     * coordinator that takes a run over reads them from here.
     */
    public IMap<String, byte[]> headerSets() {
        return hz.getMap("salvo.header-sets");
    }

    public IMap<String, String> coordinators() {
        return hz.getMap("salvo.coordinators");
    }

    /**
     * Base URL of each live dashboard ever served in this cluster, to the member id that serves or served it. Kept after
     * its member leaves: a page loaded from it may still be following a run from another coordinator (CORS).
     */
    public IMap<String, String> dashboards() {
        return hz.getMap("salvo.dashboards");
    }

    public IMap<String, Long> archivedRuns() {
        return hz.getMap("salvo.archived-runs");
    }

    /**
     * Drops an ended run's per-run maps (interval reports, compacted intervals, worker events, live snapshots, rejection tallies) and its
     * stop request and header sets on every member. The run's record and final result are kept; the caller has stored the result first.
     */
    public void destroyRunData(String runId) {
        reports(runId).destroy();
        compacted(runId).destroy();
        workerEvents(runId).destroy();
        snapshots(runId).destroy();
        rejections(runId).destroy();
        spill.deleteEverywhere(runId);
        stopRequests().remove(runId);
        headerSets().remove(runId);
    }

    /** Names of the maps that exist in the cluster now: what the coordinators hold, for diagnostics. */
    public Set<String> mapNames() {
        return hz.getDistributedObjects().stream()
                .filter(o -> o instanceof IMap<?, ?>)
                .map(DistributedObject::getName)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** One run's state in the maps below, as a run keeps it. */
    public RunStore runStore(String runId) {
        return new HazelcastRunStore(this, runId);
    }

    /** Sealed intervals and old snapshots of running runs, held on every coordinator's disk instead of the maps. */
    public SpillReplicas spill() {
        return spill;
    }

    public IMap<String, byte[]> reports(String runId) {
        return hz.getMap("salvo.run." + runId + ".reports");
    }

    /** The key of a run's {@link SealedCounts} in its compacted intervals' map (interval indices are never negative). */
    public static final long SEALED_COUNTS_KEY = -1L;

    /** The run's compacted intervals: interval index → {@link CompactedInterval} bytes. */
    public IMap<Long, byte[]> compacted(String runId) {
        return hz.getMap("salvo.run." + runId + ".compacted");
    }

    public IMap<String, byte[]> workerEvents(String runId) {
        return hz.getMap("salvo.run." + runId + ".events");
    }

    public IMap<Long, byte[]> snapshots(String runId) {
        return hz.getMap("salvo.run." + runId + ".snapshots");
    }

    public IMap<String, byte[]> rejections(String runId) {
        return hz.getMap("salvo.run." + runId + ".rejections");
    }

    public ITopic<byte[]> toWorkers() {
        return hz.getTopic("salvo.to-workers");
    }

    public ITopic<byte[]> liveness() {
        return hz.getTopic("salvo.liveness");
    }

    /** Leaves the cluster at once, handing nothing over, as a killed process would (fail-over tests). */
    public void terminate() {
        hz.getLifecycleService().terminate();
        closeSpill();
    }

    private void closeSpill() {
        try {
            spill.local().close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not delete this coordinator's spill directory", e);
        }
    }

    @Override
    public void close() {
        try {
            hz.shutdown();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "hazelcast shutdown", e);
        }
        closeSpill();
    }
}
