package io.salvo.deploy.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The worker group Job, and the deployment and removal of Salvo's own Jobs. Everything Salvo creates carries
 * {@value #MANAGED_BY}={@value #SALVO} and a deployment id, so removal touches nothing else.
 */
public final class WorkerJobs {

    public static final String NAME = "app.kubernetes.io/name";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String SALVO = "salvo";
    public static final String DEPLOYMENT_ID = "salvo.io/deployment-id";
    public static final String REGION = "salvo.io/region";
    public static final String REGION_NODE_LABEL = "topology.kubernetes.io/region";
    public static final String TOKEN_MOUNT = "/var/run/salvo/token";
    /** Where a worker finds the coordinators' CA; the same path as deploy/kubernetes/components/tls. */
    public static final String TLS_CA_MOUNT = "/var/run/salvo/tls-ca";
    /** The key of the CA in its Secret (cert-manager's name for it). */
    public static final String TLS_CA_KEY = "ca.crt";
    /** `salvo worker`'s exit code for a usage error: a bad option or an unreadable token file. */
    static final int USAGE_ERROR_EXIT = 2;
    /** Replacements per index before that index is given up (a crash loop of one worker, not a blip). */
    static final int BACKOFF_LIMIT_PER_INDEX = 10;
    /** An ended group stays an hour for its logs, then Kubernetes removes it. */
    static final int TTL_SECONDS_AFTER_FINISHED = 3600;

    private static final SecureRandom RANDOM = new SecureRandom();

    private WorkerJobs() {}

    /** A fresh deployment id: six lower-case base-36 characters. */
    public static String newDeploymentId() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            id.append(Character.forDigit(RANDOM.nextInt(36), 36));
        }
        return id.toString().toLowerCase(Locale.ROOT);
    }

    /** Labels on the Job and its pods. */
    public static Map<String, String> labels(WorkerGroupSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, SALVO);
        labels.put(COMPONENT, "worker");
        labels.put(MANAGED_BY, SALVO);
        labels.put(DEPLOYMENT_ID, spec.deploymentId());
        labels.put(REGION, spec.region());
        return labels;
    }

    /** The indexed Job of one worker group. */
    public static Job job(WorkerGroupSpec spec) {
        Map<String, String> labels = labels(spec);
        return new JobBuilder()
                .withNewMetadata()
                .withName(spec.jobName())
                .withNamespace(spec.namespace())
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                // One pod per index; a replacement keeps its index, so the group stays at its size.
                .withCompletionMode("Indexed")
                .withCompletions(spec.replicas())
                .withParallelism(spec.replicas())
                // Per index, so one worker's crash loop never uses up the others' replacements.
                .withBackoffLimitPerIndex(BACKOFF_LIMIT_PER_INDEX)
                .withPodFailurePolicy(podFailurePolicy())
                .withTtlSecondsAfterFinished(TTL_SECONDS_AFTER_FINISHED)
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withSpec(podSpec(spec))
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * When a worker pod fails: a usage error (exit 2) fails the whole Job, since every replacement would fail the
     * same way; a disruption (eviction, preemption, node drain) is replaced without counting against the index;
     * anything else (a crash, exit 1, or OOMKilled's 137) counts against {@link #BACKOFF_LIMIT_PER_INDEX} and is
     * replaced. The replacement joins the coordinator as a new worker and receives a share of the rate.
     */
    static PodFailurePolicy podFailurePolicy() {
        return new PodFailurePolicyBuilder()
                .addNewRule()
                .withAction("FailJob")
                .withNewOnExitCodes()
                .withContainerName("worker")
                .withOperator("In")
                .withValues(USAGE_ERROR_EXIT)
                .endOnExitCodes()
                .endRule()
                .addNewRule()
                .withAction("Ignore")
                .addNewOnPodCondition()
                .withType("DisruptionTarget")
                .withStatus("True")
                .endOnPodCondition()
                .endRule()
                .build();
    }

    private static List<String> args(WorkerGroupSpec spec) {
        List<String> args = new ArrayList<>(List.of(
                "worker",
                "--coordinator=$(SALVO_COORDINATOR)",
                "--token-file=" + TOKEN_MOUNT + "/token",
                "--region=$(SALVO_REGION)",
                // The pod's name: a replacement joins as a new worker, never colliding with the one it replaces
                // if the coordinator has not yet noticed that one is gone.
                "--id=$(POD_NAME)"));
        if (spec.tlsCaSecret() != null) {
            args.add("--tls-ca=" + TLS_CA_MOUNT + "/" + TLS_CA_KEY);
        }
        if (spec.tlsServerName() != null) {
            args.add("--tls-server-name=" + spec.tlsServerName());
        }
        return args;
    }

    private static PodSpec podSpec(WorkerGroupSpec spec) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder()
                .withName("SALVO_COORDINATOR")
                .withValue(spec.coordinator())
                .build());
        env.add(new EnvVarBuilder()
                .withName("SALVO_REGION")
                .withValue(spec.region())
                .build());
        env.add(new EnvVarBuilder()
                .withName("POD_NAME")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.name")
                .endFieldRef()
                .endValueFrom()
                .build());
        env.add(new EnvVarBuilder()
                .withName("JOB_COMPLETION_INDEX")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.annotations['batch.kubernetes.io/job-completion-index']")
                .endFieldRef()
                .endValueFrom()
                .build());
        // No heap flags: the image's java command line sizes the heap from the memory limit and exits on an OOM (so the
        // pod fails and is replaced), and a JAVA_TOOL_OPTIONS value could not override it.
        env.add(new EnvVarBuilder().withName("HOME").withValue("/tmp").build());

        Map<String, Quantity> resources =
                Map.of("cpu", new Quantity(spec.cpu()), "memory", new Quantity(spec.memory()));
        PodSpecBuilder pod = new PodSpecBuilder()
                .withRestartPolicy("Never")
                .withServiceAccountName("salvo-worker")
                .withAutomountServiceAccountToken(false)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(65532L)
                .withRunAsGroup(65532L)
                .withFsGroup(65532L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .withNewAffinity()
                .withNewPodAntiAffinity()
                // Workers sharing a node share its CPU and network: spread them while nodes are free, but still
                // start them all when the cluster has fewer nodes than workers.
                .addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100)
                .withNewPodAffinityTerm()
                .withTopologyKey("kubernetes.io/hostname")
                .withNewLabelSelector()
                .withMatchLabels(Map.of(NAME, SALVO, COMPONENT, "worker", DEPLOYMENT_ID, spec.deploymentId()))
                .endLabelSelector()
                .endPodAffinityTerm()
                .endPreferredDuringSchedulingIgnoredDuringExecution()
                .endPodAntiAffinity()
                .endAffinity()
                .addToContainers(new ContainerBuilder()
                        .withName("worker")
                        .withImage(spec.image())
                        .withImagePullPolicy("IfNotPresent")
                        .withArgs(args(spec))
                        .withEnv(env)
                        .withNewResources()
                        .withRequests(resources)
                        .withLimits(resources)
                        .endResources()
                        .withNewSecurityContext()
                        .withAllowPrivilegeEscalation(false)
                        .withReadOnlyRootFilesystem(true)
                        .withNewCapabilities()
                        .withDrop("ALL")
                        .endCapabilities()
                        .endSecurityContext()
                        .addNewVolumeMount()
                        .withName("token")
                        .withMountPath(TOKEN_MOUNT)
                        .withReadOnly(true)
                        .endVolumeMount()
                        .addNewVolumeMount()
                        .withName("tmp")
                        .withMountPath("/tmp")
                        .endVolumeMount()
                        .addAllToVolumeMounts(
                                spec.tlsCaSecret() == null
                                        ? List.of()
                                        : List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                                                .withName("tls-ca")
                                                .withMountPath(TLS_CA_MOUNT)
                                                .withReadOnly(true)
                                                .build()))
                        .build())
                .addNewVolume()
                .withName("token")
                .withNewSecret()
                .withSecretName(spec.tokenSecret())
                .withDefaultMode(0440)
                .endSecret()
                .endVolume()
                .addNewVolume()
                .withName("tmp")
                .withNewEmptyDir()
                .withSizeLimit(new Quantity("256Mi"))
                .endEmptyDir()
                .endVolume();
        if (spec.tlsCaSecret() != null) {
            // Only the CA is projected: a Secret that also holds the coordinators' key never reaches a worker.
            pod.addNewVolume()
                    .withName("tls-ca")
                    .withNewSecret()
                    .withSecretName(spec.tlsCaSecret())
                    .withDefaultMode(0444)
                    .addNewItem()
                    .withKey(TLS_CA_KEY)
                    .withPath(TLS_CA_KEY)
                    .endItem()
                    .endSecret()
                    .endVolume();
        }
        if (spec.pinToRegion()) {
            pod.withNodeSelector(Map.of(REGION_NODE_LABEL, spec.region()));
        }
        return pod.build();
    }

    /**
     * Creates the group's Job after checking that the token Secret exists, since a Job whose pods cannot mount it
     * would only show as pods stuck in ContainerCreating.
     *
     * @throws DeployException when the Secret is missing or a Job of that name exists
     */
    public static Job deploy(KubernetesClient client, WorkerGroupSpec spec) {
        if (client.secrets()
                        .inNamespace(spec.namespace())
                        .withName(spec.tokenSecret())
                        .get()
                == null) {
            throw new DeployException("no Secret '" + spec.tokenSecret() + "' in namespace '" + spec.namespace()
                    + "': create it first (kubectl -n " + spec.namespace() + " create secret generic "
                    + spec.tokenSecret() + " --from-file=token=PATH), see docs/kubernetes.md");
        }
        if (spec.tlsCaSecret() != null) {
            var ca = client.secrets()
                    .inNamespace(spec.namespace())
                    .withName(spec.tlsCaSecret())
                    .get();
            boolean hasKey = ca != null
                    && ((ca.getData() != null && ca.getData().containsKey(TLS_CA_KEY))
                            || (ca.getStringData() != null && ca.getStringData().containsKey(TLS_CA_KEY)));
            if (!hasKey) {
                // Pods would wait in ContainerCreating for a key that is not there.
                throw new DeployException("no Secret '" + spec.tlsCaSecret() + "' with a key '" + TLS_CA_KEY
                        + "' in namespace '" + spec.namespace() + "': create it first (kubectl -n "
                        + spec.namespace() + " create secret generic " + spec.tlsCaSecret() + " --from-file="
                        + TLS_CA_KEY + "=PATH), see docs/kubernetes.md");
            }
        }
        Job job = job(spec);
        if (client.batch()
                        .v1()
                        .jobs()
                        .inNamespace(spec.namespace())
                        .withName(spec.jobName())
                        .get()
                != null) {
            throw new DeployException(
                    "a Job named '" + spec.jobName() + "' already exists in namespace '" + spec.namespace() + "'");
        }
        return client.batch()
                .v1()
                .jobs()
                .inNamespace(spec.namespace())
                .resource(job)
                .create();
    }

    /**
     * Deletes the Jobs Salvo created in {@code namespace} (of one region, or all when {@code region} is null), with
     * their pods; returns the names of the deleted Jobs. Objects without Salvo's managed-by label stay.
     */
    public static List<String> undeploy(KubernetesClient client, String namespace, String region) {
        Map<String, String> selector = new LinkedHashMap<>();
        selector.put(MANAGED_BY, SALVO);
        selector.put(COMPONENT, "worker");
        if (region != null) {
            selector.put(REGION, region);
        }
        List<String> deleted = new ArrayList<>();
        for (Job job : client.batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withLabels(selector)
                .list()
                .getItems()) {
            List<StatusDetails> details = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(namespace)
                    .withName(job.getMetadata().getName())
                    // The Job's pods go with it (a Job's default is to orphan them).
                    .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
                    .delete();
            if (!details.isEmpty()) {
                deleted.add(job.getMetadata().getName());
            }
        }
        return deleted;
    }
}
