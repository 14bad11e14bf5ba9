package io.salvo.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.coordinator.cluster.ClusterSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `salvo coordinator`'s Kubernetes discovery options, as the coordinator Deployment under deploy/ passes them. */
class CoordinatorKubernetesOptionsTest {

    private static CoordinatorCommand parse(String... args) {
        CoordinatorCommand command = new CoordinatorCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void dnsModeAsTheManifestsUseIt() {
        ClusterSettings.Kubernetes kubernetes = parse(
                        "--cluster-kubernetes-dns", "salvo-coordinator-hz.salvo.svc.cluster.local")
                .kubernetes();
        assertThat(kubernetes.dnsMode()).isTrue();
        assertThat(kubernetes.serviceDns()).isEqualTo("salvo-coordinator-hz.salvo.svc.cluster.local");
    }

    @Test
    void apiModeWithNamespace() {
        ClusterSettings.Kubernetes kubernetes = parse(
                        "--cluster-kubernetes-service", "hz", "--cluster-kubernetes-namespace", "salvo")
                .kubernetes();
        assertThat(kubernetes.dnsMode()).isFalse();
        assertThat(kubernetes.serviceName()).isEqualTo("hz");
        assertThat(kubernetes.namespace()).isEqualTo("salvo");
    }

    @Test
    void noKubernetesOptionsMeansNoKubernetesDiscovery() {
        assertThat(parse().kubernetes()).isNull();
    }

    @Test
    void contradictoryOptionsAreOneMessageAndExitTwo() {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = SalvoCli.execute(
                    "coordinator", "--cluster-kubernetes-dns", "a.b.svc", "--cluster-members", "127.0.0.1:5701");
        } finally {
            System.setErr(original);
        }
        assertThat(code).isEqualTo(RunExecution.USER_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8).strip())
                .isEqualTo("salvo: give either a cluster member list or Kubernetes discovery, not both");
    }
}
