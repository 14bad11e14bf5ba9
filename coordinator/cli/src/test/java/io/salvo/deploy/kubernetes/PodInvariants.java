package io.salvo.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What every Salvo pod and worker Job must satisfy, whether from deploy/kubernetes or `salvo deploy workers`. */
final class PodInvariants {

    static final String TOKEN_SECRET = "salvo-cluster-token";

    private PodInvariants() {}

    static void nonRootReadOnlyWithResources(String what, PodSpec pod) {
        assertThat(pod.getSecurityContext()).as(what + " pod securityContext").isNotNull();
        assertThat(pod.getSecurityContext().getRunAsNonRoot())
                .as(what + " runAsNonRoot")
                .isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser())
                .as(what + " runAsUser")
                .isNotNull()
                .isPositive();
        assertThat(pod.getAutomountServiceAccountToken())
                .as(what + ": no pod of Salvo calls the Kubernetes API, so none gets an API token")
                .isFalse();
        assertThat(pod.getContainers()).as(what + " containers").isNotEmpty();
        for (Container c : pod.getContainers()) {
            String name = what + "/" + c.getName();
            assertThat(c.getSecurityContext()).as(name + " securityContext").isNotNull();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem())
                    .as(name + " readOnlyRootFilesystem")
                    .isTrue();
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation())
                    .as(name + " allowPrivilegeEscalation")
                    .isFalse();
            assertThat(c.getSecurityContext().getCapabilities().getDrop())
                    .as(name + " drops")
                    .contains("ALL");
            assertThat(c.getResources()).as(name + " resources").isNotNull();
            assertThat(c.getResources().getRequests()).as(name + " requests").containsKeys("cpu", "memory");
            assertThat(c.getResources().getLimits()).as(name + " limits").containsKey("memory");
            // A read-only root needs somewhere writable for the JVM's scratch files.
            assertThat(c.getVolumeMounts())
                    .extracting(VolumeMount::getMountPath)
                    .as(name + " mounts")
                    .contains("/tmp");
            // The image's java command line sets -XX:MaxRAMPercentage, and the command line wins over
            // JAVA_TOOL_OPTIONS: a value here would only mislead.
            assertThat(Optional.ofNullable(c.getEnv()).orElse(List.of()))
                    .as(name + " env")
                    .noneMatch(e -> e.getValue() != null && e.getValue().contains("MaxRAMPercentage"));
            assertThat(c.getImage())
                    .as(name + " image: the placeholder users replace with Kustomize images:")
                    .startsWith("registry.example.invalid/salvo/salvo:");
        }
    }

    /** The container reads the token from a file mounted from the token Secret, and no env var carries it. */
    static void tokenFromSecret(String what, PodSpec pod, Container c) {
        String tokenFile = c.getArgs().stream()
                .filter(a -> a.startsWith("--token-file="))
                .map(a -> a.substring("--token-file=".length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no --token-file argument in " + c.getArgs()));
        VolumeMount mount = c.getVolumeMounts().stream()
                .filter(m -> tokenFile.startsWith(m.getMountPath() + "/"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": " + tokenFile + " is on no mounted volume"));
        assertThat(mount.getReadOnly()).as(what + " token mount read-only").isTrue();
        Volume volume = volume(pod, mount.getName()).orElseThrow();
        assertThat(volume.getSecret()).as(what + " token volume is a Secret").isNotNull();
        assertThat(volume.getSecret().getSecretName()).isEqualTo(TOKEN_SECRET);
        assertThat(tokenFile.substring(mount.getMountPath().length() + 1))
                .as("the Secret's key")
                .isEqualTo("token");
        for (EnvVar env : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
            assertThat(env.getName())
                    .as(what + ": the token never travels in a plain env var")
                    .isNotEqualTo("SALVO_TOKEN");
        }
    }

    /**
     * The Secret volume holding the file an {@code --option=PATH} argument names, mounted read-only; fails when the
     * argument is missing or its file is on no Secret.
     */
    static Volume secretFileOf(String what, PodSpec pod, Container c, String option) {
        String file = c.getArgs().stream()
                .filter(a -> a.startsWith(option))
                .map(a -> a.substring(option.length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no " + option + " argument in " + c.getArgs()));
        VolumeMount mount = c.getVolumeMounts().stream()
                .filter(m -> file.startsWith(m.getMountPath() + "/"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": " + file + " is on no mounted volume"));
        assertThat(mount.getReadOnly()).as(what + " mount read-only").isTrue();
        Volume volume = volume(pod, mount.getName()).orElseThrow();
        assertThat(volume.getSecret()).as(what + " volume is a Secret").isNotNull();
        String key = file.substring(mount.getMountPath().length() + 1);
        if (volume.getSecret().getItems() != null
                && !volume.getSecret().getItems().isEmpty()) {
            assertThat(volume.getSecret().getItems())
                    .as(what + ": the file is one of the projected keys")
                    .anySatisfy(item -> assertThat(item.getPath()).isEqualTo(key));
        }
        return volume;
    }

    static Optional<Volume> volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst();
    }

    static Map<String, String> env(Container c) {
        return c.getEnv().stream()
                .filter(e -> e.getValue() != null)
                .collect(java.util.stream.Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    /** An indexed worker Job whose lost pods are replaced, that ends and is cleaned up, labelled for its policies. */
    static void workerJob(Job job, String region) {
        String what = "Job " + job.getMetadata().getName();
        var spec = job.getSpec();
        assertThat(spec.getCompletionMode()).as(what + " completionMode").isEqualTo("Indexed");
        assertThat(spec.getParallelism())
                .as(what + " parallelism = completions")
                .isEqualTo(spec.getCompletions());
        assertThat(spec.getBackoffLimitPerIndex())
                .as(what + " backoffLimitPerIndex")
                .isNotNull()
                .isPositive();
        assertThat(spec.getTtlSecondsAfterFinished())
                .as(what + " ttlSecondsAfterFinished")
                .isNotNull()
                .isPositive();
        List<PodFailurePolicyRule> rules = spec.getPodFailurePolicy().getRules();
        assertThat(rules).as(what + " pod failure policy").hasSize(2);
        assertThat(rules.get(0).getAction()).isEqualTo("FailJob");
        assertThat(rules.get(0).getOnExitCodes().getOperator()).isEqualTo("In");
        assertThat(rules.get(0).getOnExitCodes().getValues()).containsExactly(2);
        assertThat(rules.get(0).getOnExitCodes().getContainerName()).isEqualTo("worker");
        assertThat(rules.get(1).getAction()).isEqualTo("Ignore");
        assertThat(rules.get(1).getOnPodConditions()).singleElement().satisfies(c -> {
            assertThat(c.getType()).isEqualTo("DisruptionTarget");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        PodSpec pod = spec.getTemplate().getSpec();
        // A pod failure policy requires restartPolicy Never: the Job, not the kubelet, replaces a failed worker.
        assertThat(pod.getRestartPolicy()).isEqualTo("Never");
        Map<String, String> podLabels = spec.getTemplate().getMetadata().getLabels();
        assertThat(podLabels)
                .as(what + " pod labels the worker NetworkPolicy and the coordinator's policy select")
                .containsEntry("app.kubernetes.io/name", "salvo")
                .containsEntry("app.kubernetes.io/component", "worker")
                .containsEntry("salvo.io/region", region);
        var antiAffinity = pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        assertThat(antiAffinity).as(what + " spreads workers over nodes").isNotEmpty();
        var term = antiAffinity.get(0).getPodAffinityTerm();
        assertThat(term.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
        assertThat(podLabels)
                .as("anti-affinity selects this group's own pods")
                .containsAllEntriesOf(term.getLabelSelector().getMatchLabels());
        nonRootReadOnlyWithResources(what, pod);
        Container worker = pod.getContainers().get(0);
        assertThat(worker.getName()).isEqualTo("worker");
        tokenFromSecret(what, pod, worker);
        assertThat(worker.getArgs()).first().isEqualTo("worker");
        assertThat(worker.getArgs()).contains("--region=$(SALVO_REGION)", "--coordinator=$(SALVO_COORDINATOR)");
        assertThat(env(worker)).containsEntry("SALVO_REGION", region).containsKey("SALVO_COORDINATOR");
        assertThat(worker.getResources().getLimits()).containsKey("cpu");
    }
}
