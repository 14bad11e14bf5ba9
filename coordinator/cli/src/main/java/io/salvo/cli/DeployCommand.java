package io.salvo.cli;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.salvo.deploy.kubernetes.DeployException;
import io.salvo.deploy.kubernetes.KubernetesAccess;
import io.salvo.deploy.kubernetes.WorkerGroupSpec;
import io.salvo.deploy.kubernetes.WorkerJobs;
import io.salvo.deploy.kubernetes.WorkerPodsWait;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description = {
            "Deploys Salvo's workers into a Kubernetes cluster (the coordinators come from deploy/kubernetes), or a"
                    + " model through a platform driver ('deploy model')."
        },
        subcommands = {DeployCommand.Workers.class, DeployModelCommand.class})
final class DeployCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return RunExecution.USER_ERROR;
    }

    /** Options every Kubernetes command shares. */
    static final class Target {
        @Option(
                names = "--namespace",
                defaultValue = "salvo",
                description = "Namespace (default: ${DEFAULT-VALUE}, where deploy/kubernetes puts the coordinators).")
        String namespace;

        @Option(names = "--context", paramLabel = "CTX", description = "kubeconfig context (default: the current one).")
        String context;
    }

    @Command(
            name = "workers",
            mixinStandardHelpOptions = true,
            description = {
                "Deploys a group of workers as an indexed Kubernetes Job: one pod per worker, a crashed or evicted "
                        + "pod is replaced and rejoins the coordinator.",
                "Needs the cluster token Secret in the namespace (docs/kubernetes.md)."
            })
    static final class Workers implements Callable<Integer> {

        @Option(names = "--replicas", required = true, paramLabel = "N", description = "Number of workers.")
        int replicas;

        @Option(
                names = "--region",
                required = true,
                paramLabel = "R",
                description = "Region label of the group, passed to every worker as --region.")
        String region;

        @picocli.CommandLine.Mixin
        Target target = new Target();

        @Option(
                names = "--image",
                defaultValue = WorkerGroupSpec.DEFAULT_IMAGE,
                description = "Salvo image (default: ${DEFAULT-VALUE}, a placeholder to replace with your registry's).")
        String image;

        @Option(
                names = "--coordinator",
                defaultValue = WorkerGroupSpec.DEFAULT_COORDINATOR,
                paramLabel = "HOST:PORT[,HOST:PORT…]",
                description = "Where workers reach the coordinators (default: ${DEFAULT-VALUE}, the Service of "
                        + "deploy/kubernetes).")
        String coordinator;

        @Option(
                names = "--token-secret",
                defaultValue = WorkerGroupSpec.DEFAULT_TOKEN_SECRET,
                description = "Secret holding the cluster token under the key 'token' (default: ${DEFAULT-VALUE}).")
        String tokenSecret;

        @Option(
                names = "--tls-ca-secret",
                paramLabel = "SECRET",
                description = "Workers dial the coordinators with TLS, trusting the CA under the key 'ca.crt' of this "
                        + "Secret (for coordinators deployed with deploy/kubernetes/components/tls: "
                        + "salvo-coordinator-ca). Default: plaintext.")
        String tlsCaSecret;

        @Option(
                names = "--tls-server-name",
                paramLabel = "NAME",
                description = "With --tls-ca-secret: the name the coordinators' certificate carries, when "
                        + "--coordinator dials another (an address, a load balancer's name). Default: the host "
                        + "dialled.")
        String tlsServerName;

        @Option(
                names = "--cpu",
                defaultValue = WorkerGroupSpec.DEFAULT_CPU,
                description = "CPU request and limit per worker (default: ${DEFAULT-VALUE}).")
        String cpu;

        @Option(
                names = "--memory",
                defaultValue = WorkerGroupSpec.DEFAULT_MEMORY,
                description = "Memory request and limit per worker (default: ${DEFAULT-VALUE}).")
        String memory;

        @Option(
                names = "--pin-to-region",
                description = "Place the pods only on nodes labelled topology.kubernetes.io/region=R.")
        boolean pinToRegion;

        @Option(names = "--wait", description = "Wait until every worker pod runs (bounded by --wait-timeout).")
        boolean await;

        @Option(
                names = "--wait-timeout",
                defaultValue = "120",
                paramLabel = "SECONDS",
                description = "How long --wait waits before failing with the pods that do not run and why "
                        + "(default: ${DEFAULT-VALUE}).")
        int waitTimeoutSeconds;

        @Override
        public Integer call() throws InterruptedException {
            WorkerGroupSpec group;
            try {
                if (waitTimeoutSeconds < 1) {
                    throw new IllegalArgumentException("--wait-timeout must be at least 1 second");
                }
                HostPort.parseList(coordinator);
                group = new WorkerGroupSpec(
                        target.namespace,
                        region,
                        replicas,
                        image,
                        coordinator,
                        tokenSecret,
                        cpu,
                        memory,
                        pinToRegion,
                        WorkerJobs.newDeploymentId(),
                        tlsCaSecret,
                        tlsServerName);
            } catch (IllegalArgumentException e) {
                System.err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
            return Kube.run(target.context, client -> {
                Job job = WorkerJobs.deploy(client, group);
                System.out.println("Deployed Job " + job.getMetadata().getName() + " in namespace " + group.namespace()
                        + ": " + group.replicas() + " worker" + (group.replicas() == 1 ? "" : "s") + " in region "
                        + group.region() + " (deployment " + group.deploymentId() + ")");
                if (await) {
                    new WorkerPodsWait(client)
                            .awaitRunning(
                                    group.namespace(),
                                    group.jobName(),
                                    group.deploymentId(),
                                    group.replicas(),
                                    Duration.ofSeconds(waitTimeoutSeconds));
                    System.out.println("All " + group.replicas() + " workers running");
                }
                return RunExecution.OK;
            });
        }
    }

    /** Runs Kubernetes work with one message per failure and no stack trace. */
    static final class Kube {
        interface Work {
            int run(KubernetesClient client) throws InterruptedException;
        }

        static int run(String context, Work work) throws InterruptedException {
            KubernetesClient client;
            try {
                client = KubernetesAccess.connect(context);
            } catch (DeployException e) {
                System.err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            } catch (KubernetesClientException e) {
                System.err.println("salvo: cannot read the kubeconfig: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
            try (client) {
                return work.run(client);
            } catch (DeployException e) {
                System.err.println("salvo: " + e.getMessage());
                return RunExecution.FAILED;
            } catch (KubernetesClientException e) {
                System.err.println("salvo: " + KubernetesAccess.describe(e, client));
                return RunExecution.FAILED;
            }
        }
    }

    static String joined(List<String> names) {
        return String.join(", ", names);
    }
}
