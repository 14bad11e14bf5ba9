package io.salvo.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.salvo.testkit.Prerequisite;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Renders every overlay under deploy/kubernetes with `kubectl kustomize` (Debian's kubernetes-client), loads the
 * objects with fabric8 into typed objects and checks what a reviewer would: probes, resources, non-root, read-only
 * root, the token from a Secret, no API access beyond what the coordinator uses, network policies, two
 * coordinators, labels that match their selectors.
 */
class ManifestsTest {

    private static final Path KUSTOMIZE_ROOT = findKustomizeRoot();

    private static Path findKustomizeRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("deploy/kubernetes");
            if (Files.isDirectory(candidate.resolve("base"))) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "deploy/kubernetes not found above " + Path.of("").toAbsolutePath());
    }

    /** Each overlay is rendered once for all tests: kubectl takes seconds per render on a loaded machine. */
    private static final Map<String, List<HasMetadata>> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    static synchronized List<HasMetadata> render(String overlay) throws IOException, InterruptedException {
        List<HasMetadata> cached = RENDERED.get(overlay);
        if (cached != null) {
            return cached;
        }
        Prerequisite.require(
                kubectlPresent(),
                "kubectl is missing: apt-get install -y kubernetes-client (Debian) renders the Kustomize overlays");
        Process process = new ProcessBuilder(
                        "kubectl", "kustomize", KUSTOMIZE_ROOT.resolve(overlay).toString())
                .redirectErrorStream(false)
                .start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = new Thread(() -> {
            try (InputStream in = process.getErrorStream()) {
                in.transferTo(err);
            } catch (IOException ignored) {
                // the exit code below reports the failure
            }
        });
        errReader.start();
        String yaml;
        try (InputStream in = process.getInputStream()) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("kubectl kustomize finished")
                .isTrue();
        errReader.join();
        assertThat(process.exitValue())
                .as("kubectl kustomize %s: %s", overlay, err.toString(StandardCharsets.UTF_8))
                .isZero();
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (!document.isBlank()) {
                objects.add(serialization.unmarshal(document, HasMetadata.class));
            }
        }
        RENDERED.put(overlay, List.copyOf(objects));
        return objects;
    }

    private static boolean kubectlPresent() {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, "kubectl")));
    }

    private static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).collect(Collectors.toList());
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        return all(objects, type).stream()
                .filter(o -> o.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "base",
                "overlays/single-region",
                "overlays/multi-region",
                "overlays/single-region-tls",
                "overlays/external-workers",
                "overlays/remote-workers"
            })
    void everyObjectIsTypedAndInTheSalvoNamespace(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        assertThat(objects).isNotEmpty();
        for (HasMetadata o : objects) {
            assertThat(o.getClass().getPackageName())
                    .as(
                            "%s %s loads as a typed object",
                            o.getKind(), o.getMetadata().getName())
                    .doesNotEndWith("GenericKubernetesResource");
            assertThat(o)
                    .as("%s loads as a typed object", o.getKind())
                    .isNotInstanceOf(io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
            if (!(o instanceof Namespace)) {
                assertThat(o.getMetadata().getNamespace())
                        .as("%s %s namespace", o.getKind(), o.getMetadata().getName())
                        .isEqualTo("salvo");
            }
        }
        assertThat(one(objects, Namespace.class, "salvo")).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "base",
                "overlays/single-region",
                "overlays/multi-region",
                "overlays/single-region-tls",
                "overlays/external-workers"
            })
    void twoClusteredCoordinatorsWithProbesResourcesAndTheTokenFromASecret(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        Deployment coordinator = one(objects, Deployment.class, "salvo-coordinator");
        assertThat(coordinator.getSpec().getReplicas())
                .as("coordinator replicas")
                .isEqualTo(2);
        Map<String, String> podLabels =
                coordinator.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(selects(coordinator.getSpec().getSelector().getMatchLabels(), podLabels))
                .as("the Deployment's selector matches its pods")
                .isTrue();
        assertThat(coordinator
                        .getSpec()
                        .getStrategy()
                        .getRollingUpdate()
                        .getMaxUnavailable()
                        .getIntVal())
                .as("a rollout never leaves fewer than two coordinators")
                .isZero();

        PodSpec pod = coordinator.getSpec().getTemplate().getSpec();
        PodInvariants.nonRootReadOnlyWithResources("coordinator", pod);
        Container c = pod.getContainers().get(0);
        PodInvariants.tokenFromSecret("coordinator", pod, c);
        // Ready once the gRPC port is open (it opens after the member joined); alive while HTTP answers.
        for (var probe : List.of(c.getStartupProbe(), c.getReadinessProbe())) {
            assertThat(probe).as("startup and readiness probes").isNotNull();
            assertThat(probe.getTcpSocket().getPort().getStrVal()).isEqualTo("grpc");
        }
        assertThat(c.getLivenessProbe()).as("liveness probe").isNotNull();
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(c.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("grpc");
            assertThat(p.getContainerPort()).isEqualTo(7100);
        });
        assertThat(c.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(7180);
        });
        assertThat(c.getArgs()).contains("--http-bind=0.0.0.0", "--http-port=7180");
        assertThat(c.getArgs()).first().isEqualTo("coordinator");
        assertThat(c.getArgs()).contains("--bind=0.0.0.0", "--port=7100", "--cluster-bind=$(POD_IP)");

        // Hazelcast's Kubernetes discovery, DNS mode: a headless Service over exactly these pods, listing them
        // before they are ready (they become ready only after joining each other).
        String dns = c.getArgs().stream()
                .filter(a -> a.startsWith("--cluster-kubernetes-dns="))
                .map(a -> a.substring("--cluster-kubernetes-dns=".length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no --cluster-kubernetes-dns in " + c.getArgs()));
        Service hz = one(objects, Service.class, dns.substring(0, dns.indexOf('.')));
        assertThat(hz.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(hz.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(selects(hz.getSpec().getSelector(), podLabels)).isTrue();
        assertThat(hz.getSpec().getPorts())
                .anySatisfy(p -> assertThat(p.getPort()).isEqualTo(5701));
        assertThat(c.getArgs()).contains("--cluster-port=5701");

        Service grpc = one(objects, Service.class, "salvo-coordinator");
        assertThat(selects(grpc.getSpec().getSelector(), podLabels)).isTrue();
        assertThat(grpc.getSpec().getPorts())
                .extracting(p -> p.getPort() + "->" + p.getTargetPort().getStrVal())
                .containsExactlyInAnyOrder("7100->grpc", "7180->http");
        PodDisruptionBudget pdb = one(objects, PodDisruptionBudget.class, "salvo-coordinator");
        assertThat(selects(pdb.getSpec().getSelector().getMatchLabels(), podLabels))
                .isTrue();

        ServiceAccount account = one(objects, ServiceAccount.class, pod.getServiceAccountName());
        assertThat(account.getAutomountServiceAccountToken()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "base",
                "overlays/single-region",
                "overlays/multi-region",
                "overlays/single-region-tls",
                "overlays/external-workers",
                "overlays/remote-workers"
            })
    void rbacGrantsAtMostReadingEndpointsAndPods(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        // DNS discovery needs no API access; were a Role added for API mode, it may only read what Hazelcast reads.
        assertThat(all(objects, ClusterRole.class)).as("no cluster-wide roles").isEmpty();
        assertThat(all(objects, io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class))
                .isEmpty();
        for (Role role : all(objects, Role.class)) {
            for (PolicyRule rule : role.getRules()) {
                assertThat(Set.copyOf(rule.getVerbs()))
                        .as("Role %s verbs", role.getMetadata().getName())
                        .isSubsetOf("get", "list");
                assertThat(Set.copyOf(rule.getResources())).isSubsetOf("endpoints", "endpointslices", "pods");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/single-region", "overlays/multi-region", "overlays/single-region-tls"})
    void coordinatorsAdmitOnlyWorkersAndTheCliAndEachOther(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        Map<String, String> coordinatorPods = one(objects, Deployment.class, "salvo-coordinator")
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels();
        NetworkPolicy policy = all(objects, NetworkPolicy.class).stream()
                .filter(p -> selects(p.getSpec().getPodSelector().getMatchLabels(), coordinatorPods))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no NetworkPolicy selects the coordinator pods"));
        assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
        for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
            assertThat(rule.getFrom()).as("every ingress rule names its peers").isNotEmpty();
            assertThat(rule.getPorts()).as("every ingress rule names its ports").isNotEmpty();
            for (NetworkPolicyPeer peer : rule.getFrom()) {
                assertThat(peer.getIpBlock()).as("no address block is admitted").isNull();
                assertThat(peer.getNamespaceSelector())
                        .as("no other namespace is admitted")
                        .isNull();
                assertThat(peer.getPodSelector().getMatchLabels())
                        .containsEntry("app.kubernetes.io/name", "salvo")
                        .extractingByKey("app.kubernetes.io/component")
                        .isIn("worker", "cli", "coordinator");
            }
        }
        // The member port has no authentication: only coordinators reach it.
        for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
            boolean memberPort =
                    rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == 5701);
            if (memberPort) {
                assertThat(rule.getFrom())
                        .allSatisfy(peer -> assertThat(peer.getPodSelector().getMatchLabels())
                                .containsEntry("app.kubernetes.io/component", "coordinator"));
            }
        }
        NetworkPolicy workers = one(objects, NetworkPolicy.class, "salvo-worker");
        assertThat(workers.getSpec().getIngress()).as("workers serve nothing").isNullOrEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "overlays/single-region",
                "overlays/multi-region",
                "overlays/single-region-tls",
                "overlays/remote-workers"
            })
    void workerGroupsAreIndexedJobsPinnedToTheirRegion(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        List<Job> jobs = all(objects, Job.class);
        assertThat(jobs).isNotEmpty();
        for (Job job : jobs) {
            String region = job.getMetadata().getLabels().get("salvo.io/region");
            assertThat(region)
                    .as("Job %s region label", job.getMetadata().getName())
                    .isNotBlank();
            PodInvariants.workerJob(job, region);
            assertThat(job.getSpec().getTemplate().getSpec().getNodeSelector())
                    .containsEntry("topology.kubernetes.io/region", region);
            assertThat(job.getMetadata().getLabels())
                    .as("Kustomize owns these groups, so `salvo undeploy` leaves them")
                    .doesNotContainKey("app.kubernetes.io/managed-by");
        }
        Set<String> regions = jobs.stream()
                .map(j -> j.getMetadata().getLabels().get("salvo.io/region"))
                .collect(Collectors.toSet());
        assertThat(regions).as("one group per region").hasSize(jobs.size());
        if (overlay.endsWith("multi-region")) {
            assertThat(regions).containsExactlyInAnyOrder("us-east1", "europe-west1");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/single-region-tls", "overlays/external-workers", "overlays/remote-workers"})
    void withTlsCoordinatorsServeTheirCertificateAndWorkersTrustOnlyTheCa(String overlay) throws Exception {
        List<HasMetadata> objects = render(overlay);
        for (Deployment coordinator : all(objects, Deployment.class)) {
            PodSpec pod = coordinator.getSpec().getTemplate().getSpec();
            Container c = pod.getContainers().get(0);
            for (String option : List.of("--tls-cert=", "--tls-key=")) {
                Volume volume = PodInvariants.secretFileOf("coordinator " + option, pod, c, option);
                assertThat(volume.getSecret().getSecretName()).isEqualTo("salvo-coordinator-tls");
            }
            assertThat(c.getArgs())
                    .as("server TLS only: --tls-ca on a coordinator would demand client certificates")
                    .noneMatch(a -> a.startsWith("--tls-ca"));
        }
        List<Job> jobs = all(objects, Job.class);
        assertThat(all(objects, Deployment.class).size() + jobs.size()).isPositive();
        for (Job job : jobs) {
            PodSpec pod = job.getSpec().getTemplate().getSpec();
            Container worker = pod.getContainers().get(0);
            Volume ca = PodInvariants.secretFileOf("Job " + job.getMetadata().getName(), pod, worker, "--tls-ca=");
            assertThat(ca.getSecret().getSecretName()).isEqualTo("salvo-coordinator-ca");
            assertThat(ca.getSecret().getItems())
                    .as("only the CA is projected into a worker pod")
                    .extracting(io.fabric8.kubernetes.api.model.KeyToPath::getKey)
                    .containsExactly("ca.crt");
            assertThat(pod.getVolumes())
                    .as("no worker pod can mount the coordinators' private key")
                    .noneMatch(v -> v.getSecret() != null
                            && "salvo-coordinator-tls".equals(v.getSecret().getSecretName()));
        }
    }

    @org.junit.jupiter.api.Test
    void externalWorkersReachOnlyTheGrpcPortFromTheirAddressBlock() throws Exception {
        List<HasMetadata> objects = render("overlays/external-workers");
        NetworkPolicy policy = one(objects, NetworkPolicy.class, "salvo-coordinator");
        List<NetworkPolicyIngressRule> byAddress = policy.getSpec().getIngress().stream()
                .filter(r -> r.getFrom().stream().anyMatch(p -> p.getIpBlock() != null))
                .toList();
        assertThat(byAddress).as("one rule admits the other cluster").hasSize(1);
        NetworkPolicyIngressRule rule = byAddress.get(0);
        assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
            assertThat(peer.getIpBlock().getCidr()).isEqualTo("192.0.2.0/24");
            assertThat(peer.getPodSelector()).isNull();
            assertThat(peer.getNamespaceSelector()).isNull();
        });
        assertThat(rule.getPorts())
                .as("the gRPC port only: not the dashboard, never the unauthenticated member port")
                .singleElement()
                .satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(7100));
        // The in-cluster rules are those of base, unchanged.
        assertThat(policy.getSpec().getIngress()).hasSize(4);

        Map<String, String> coordinatorPods = one(objects, Deployment.class, "salvo-coordinator")
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getLabels();
        Service external = one(objects, Service.class, "salvo-coordinator-external");
        assertThat(external.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(selects(external.getSpec().getSelector(), coordinatorPods)).isTrue();
        assertThat(external.getSpec().getPorts())
                .extracting(p -> p.getPort() + "->" + p.getTargetPort().getStrVal())
                .containsExactly("7100->grpc");
        assertThat(external.getSpec().getExternalTrafficPolicy())
                .as("source addresses kept, or the ipBlock would see node addresses")
                .isEqualTo("Local");
        assertThat(external.getSpec().getLoadBalancerSourceRanges()).containsExactly("192.0.2.0/24");
    }

    @org.junit.jupiter.api.Test
    void remoteWorkersBringOnlyWhatWorkersNeedAndDialTheExternalAddress() throws Exception {
        List<HasMetadata> objects = render("overlays/remote-workers");
        assertThat(objects)
                .extracting(o -> o.getKind() + " " + o.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "Namespace salvo",
                        "ServiceAccount salvo-worker",
                        "NetworkPolicy salvo-worker",
                        "Job salvo-workers-europe-west1");
        Job job = one(objects, Job.class, "salvo-workers-europe-west1");
        PodInvariants.workerJob(job, "europe-west1");
        PodSpec pod = job.getSpec().getTemplate().getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("salvo-worker");
        assertThat(one(objects, ServiceAccount.class, "salvo-worker").getAutomountServiceAccountToken())
                .isFalse();
        String coordinator = PodInvariants.env(pod.getContainers().get(0)).get("SALVO_COORDINATOR");
        assertThat(coordinator)
                .as("the coordinators' external address, not the Service of a cluster without coordinators")
                .isNotEqualTo("salvo-coordinator:7100")
                .endsWith(":7100")
                .contains(".");
        NetworkPolicy workers = one(objects, NetworkPolicy.class, "salvo-worker");
        assertThat(selects(
                        workers.getSpec().getPodSelector().getMatchLabels(),
                        job.getSpec().getTemplate().getMetadata().getLabels()))
                .isTrue();
        assertThat(workers.getSpec().getIngress()).as("workers serve nothing").isNullOrEmpty();
    }
}
