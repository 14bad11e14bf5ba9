package io.salvo.deploy.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Waits, with a deadline, until a worker group's pods run. Never waits forever: at the deadline, or at once when the
 * Job has failed, it throws a {@link DeployException} naming every pod that is not running and why (Pending and
 * Unschedulable, ImagePullBackOff, CrashLoopBackOff, OOMKilled, ...).
 *
 * <p>It polls the pod list rather than holding a watch: a watch that silently stops delivering (a proxy closing
 * an idle connection) would turn a bounded wait into a hang, while a poll every half second costs one small list
 * call and sees the same states.
 */
public final class WorkerPodsWait {

    private final KubernetesClient client;
    private final LongSupplier nanoTime;
    private final Duration pollInterval;

    public WorkerPodsWait(KubernetesClient client) {
        this(client, System::nanoTime, Duration.ofMillis(500));
    }

    WorkerPodsWait(KubernetesClient client, LongSupplier nanoTime, Duration pollInterval) {
        this.client = client;
        this.nanoTime = nanoTime;
        this.pollInterval = pollInterval;
    }

    /**
     * Returns once {@code replicas} pods of the group run with every container started.
     *
     * @throws DeployException at the deadline or when the Job failed, naming the pods and their reasons
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitRunning(String namespace, String jobName, String deploymentId, int replicas, Duration timeout)
            throws InterruptedException {
        long deadline = nanoTime.getAsLong() + timeout.toNanos();
        while (true) {
            Job job = client.batch()
                    .v1()
                    .jobs()
                    .inNamespace(namespace)
                    .withName(jobName)
                    .get();
            if (job == null) {
                throw new DeployException("Job '" + jobName + "' in namespace '" + namespace + "' is gone");
            }
            List<Pod> pods = pods(namespace, deploymentId);
            long running = pods.stream().filter(WorkerPodsWait::running).count();
            String failed = failedCondition(job);
            if (failed != null) {
                throw new DeployException("Job '" + jobName + "' failed (" + failed + ")" + describe(pods));
            }
            if (running >= replicas) {
                return;
            }
            if (nanoTime.getAsLong() - deadline >= 0) {
                throw new DeployException(running + " of " + replicas + " workers of Job '" + jobName
                        + "' running after " + seconds(timeout) + describe(pods));
            }
            Thread.sleep(pollInterval.toMillis());
        }
    }

    private List<Pod> pods(String namespace, String deploymentId) {
        List<Pod> pods = new ArrayList<>(client.pods()
                .inNamespace(namespace)
                .withLabels(Map.of(WorkerJobs.MANAGED_BY, WorkerJobs.SALVO, WorkerJobs.DEPLOYMENT_ID, deploymentId))
                .list()
                .getItems());
        pods.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        return pods;
    }

    private static String failedCondition(Job job) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return null;
        }
        for (JobCondition condition : job.getStatus().getConditions()) {
            if ("Failed".equals(condition.getType()) && "True".equals(condition.getStatus())) {
                return condition.getReason() == null ? "no reason given" : condition.getReason();
            }
        }
        return null;
    }

    static boolean running(Pod pod) {
        if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
            return false;
        }
        List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
        return statuses != null
                && !statuses.isEmpty()
                && statuses.stream()
                        .allMatch(s -> s.getState() != null && s.getState().getRunning() != null);
    }

    /** Why a pod is not running, in Kubernetes' own words; null when it runs. */
    static String reason(Pod pod) {
        if (running(pod)) {
            return null;
        }
        var status = pod.getStatus();
        if (status == null) {
            return "no status yet";
        }
        if (status.getContainerStatuses() != null) {
            for (ContainerStatus container : status.getContainerStatuses()) {
                var state = container.getState();
                if (state != null
                        && state.getWaiting() != null
                        && state.getWaiting().getReason() != null) {
                    String why = state.getWaiting().getReason();
                    if (container.getLastState() != null
                            && container.getLastState().getTerminated() != null
                            && container.getLastState().getTerminated().getReason() != null) {
                        why += ", last "
                                + container.getLastState().getTerminated().getReason();
                    }
                    return why + message(state.getWaiting().getMessage());
                }
                if (state != null && state.getTerminated() != null) {
                    var terminated = state.getTerminated();
                    return (terminated.getReason() != null ? terminated.getReason() : "Terminated") + " (exit "
                            + terminated.getExitCode() + ")";
                }
            }
        }
        if (status.getConditions() != null) {
            for (PodCondition condition : status.getConditions()) {
                if ("PodScheduled".equals(condition.getType())
                        && "False".equals(condition.getStatus())
                        && condition.getReason() != null) {
                    return status.getPhase() + "/" + condition.getReason() + message(condition.getMessage());
                }
            }
        }
        return status.getPhase() != null ? status.getPhase() : "no phase yet";
    }

    private static String message(String message) {
        if (message == null || message.isBlank()) {
            return "";
        }
        String line = message.strip().lines().findFirst().orElse("");
        return ": " + (line.length() > 160 ? line.substring(0, 157) + "..." : line);
    }

    static String describe(List<Pod> pods) {
        StringBuilder text = new StringBuilder();
        for (Pod pod : pods) {
            String why = reason(pod);
            if (why != null) {
                text.append(text.length() == 0 ? ": " : "; ")
                        .append(pod.getMetadata().getName())
                        .append(' ')
                        .append(why);
            }
        }
        return text.length() == 0 ? " (no pods created yet: check the Job's events)" : text.toString();
    }

    private static String seconds(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }
}
