package io.salvo.cli;

import io.salvo.deploy.kubernetes.WorkerJobs;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "undeploy",
        mixinStandardHelpOptions = true,
        description = "Removes what `salvo deploy` created, and nothing else ('undeploy model' is 'salvo teardown').",
        subcommands = {UndeployCommand.Workers.class, TeardownCommand.UndeployModel.class})
final class UndeployCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return RunExecution.USER_ERROR;
    }

    @Command(
            name = "workers",
            mixinStandardHelpOptions = true,
            description = "Deletes the worker Jobs (and their pods) that `salvo deploy workers` created, found by "
                    + "their app.kubernetes.io/managed-by=salvo label; Jobs applied from deploy/kubernetes stay.")
    static final class Workers implements Callable<Integer> {

        @Option(names = "--region", paramLabel = "R", description = "Only the groups of this region.")
        String region;

        @Mixin
        DeployCommand.Target target = new DeployCommand.Target();

        @Override
        public Integer call() throws InterruptedException {
            return DeployCommand.Kube.run(target.context, client -> {
                List<String> deleted = WorkerJobs.undeploy(client, target.namespace, region);
                System.out.println(
                        deleted.isEmpty()
                                ? "No worker Jobs deployed by salvo in namespace " + target.namespace
                                        + (region != null ? " for region " + region : "")
                                : "Deleted " + DeployCommand.joined(deleted) + " in namespace " + target.namespace);
                return RunExecution.OK;
            });
        }
    }
}
