package io.salvo.platform.cloudrun;

import com.google.cloud.run.v2.Container;
import com.google.cloud.run.v2.ContainerPort;
import com.google.cloud.run.v2.EnvVar;
import com.google.cloud.run.v2.ExecutionEnvironment;
import com.google.cloud.run.v2.IngressTraffic;
import com.google.cloud.run.v2.NodeSelector;
import com.google.cloud.run.v2.ResourceRequirements;
import com.google.cloud.run.v2.RevisionScaling;
import com.google.cloud.run.v2.RevisionTemplate;
import com.google.cloud.run.v2.Service;
import com.google.cloud.run.v2.TrafficTarget;
import com.google.cloud.run.v2.TrafficTargetAllocationType;
import java.util.Map;

/**
 * Turns a resolved deployment into the Cloud Run v2 {@link Service} resource the driver creates or updates. Pure:
 * tests compare its output field by field with what the fake API received.
 */
public final class ServiceTemplates {

    /** Label on everything the driver creates, so a console user can tell what made it. */
    public static final String MANAGED_BY_LABEL = "managed-by";

    public static final String MANAGED_BY = "salvo";
    /**
     * Environment variable whose change makes a new revision: a forced cold start bumps it, so no instance of an
     * earlier revision can serve the next request.
     */
    public static final String GENERATION_ENV = "SALVO_COLD_GENERATION";

    private ServiceTemplates() {}

    /**
     * The service: one container of {@code settings.image()} with the deployment's resources, scaling and
     * environment, all traffic on the latest revision.
     *
     * @param generation the value of {@link #GENERATION_ENV}; 0 at deploy, one more per forced cold start
     */
    public static Service service(CloudRunSettings settings, ResolvedDeployment d, int generation) {
        ResourceRequirements.Builder resources = ResourceRequirements.newBuilder()
                .putLimits("cpu", cpu(d.cpu()))
                .putLimits("memory", d.memoryMib() + "Mi")
                // cpu_idle = true: CPU only while requests are served (request-based billing)
                .setCpuIdle(!settings.cpuAlwaysAllocated())
                .setStartupCpuBoost(settings.startupCpuBoost());
        if (settings.gpus() > 0) {
            resources.putLimits("nvidia.com/gpu", String.valueOf(settings.gpus()));
        }
        Container.Builder container = Container.newBuilder()
                .setName("model-server")
                .setImage(settings.image())
                .addPorts(ContainerPort.newBuilder().setName("http1").setContainerPort(settings.containerPort()))
                .setResources(resources);
        for (Map.Entry<String, String> e : d.env().entrySet()) {
            container.addEnv(EnvVar.newBuilder().setName(e.getKey()).setValue(e.getValue()));
        }
        container.addEnv(EnvVar.newBuilder().setName(GENERATION_ENV).setValue(String.valueOf(generation)));

        RevisionTemplate.Builder template = RevisionTemplate.newBuilder()
                .putLabels(MANAGED_BY_LABEL, MANAGED_BY)
                .setScaling(RevisionScaling.newBuilder()
                        .setMinInstanceCount(d.minInstances())
                        .setMaxInstanceCount(d.maxInstances()))
                .setMaxInstanceRequestConcurrency(d.concurrency())
                .setTimeout(com.google.protobuf.Duration.newBuilder()
                        .setSeconds(settings.requestTimeout().toSeconds()))
                .addContainers(container);
        switch (settings.executionEnvironment()) {
            case "gen1" -> template.setExecutionEnvironment(ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN1);
            case "gen2" -> template.setExecutionEnvironment(ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN2);
            default -> {
                // Cloud Run's choice
            }
        }
        if (settings.serviceAccount() != null) {
            template.setServiceAccount(settings.serviceAccount());
        }
        if (settings.gpus() > 0) {
            template.setNodeSelector(NodeSelector.newBuilder().setAccelerator(settings.gpuType()));
        }
        return Service.newBuilder()
                .setName(settings.serviceName())
                .putLabels(MANAGED_BY_LABEL, MANAGED_BY)
                .setIngress(IngressTraffic.INGRESS_TRAFFIC_ALL)
                .setTemplate(template)
                .addTraffic(TrafficTarget.newBuilder()
                        .setType(TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)
                        .setPercent(100))
                .build();
    }

    /** Cloud Run's CPU quantity: "1", "2", "0.5", "0.083". */
    static String cpu(double cpu) {
        return CloudRunLimits.fmt(cpu);
    }

    /**
     * A pre-existing service made fit to be written back as it was: output-only fields and the etag cleared (the
     * etag would refuse the write, since the driver's own updates changed it).
     */
    public static Service restorable(Service original) {
        return original.toBuilder()
                // an explicit revision name of the original already exists; let Cloud Run name the restored one
                .setTemplate(original.getTemplate().toBuilder().clearRevision())
                .clearEtag()
                .clearUid()
                .clearGeneration()
                .clearCreateTime()
                .clearUpdateTime()
                .clearDeleteTime()
                .clearExpireTime()
                .clearCreator()
                .clearLastModifier()
                .clearObservedGeneration()
                .clearTerminalCondition()
                .clearConditions()
                .clearLatestReadyRevision()
                .clearLatestCreatedRevision()
                .clearTrafficStatuses()
                .clearUri()
                .clearUrls()
                .clearReconciling()
                .build();
    }
}
