package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.salvo.core.security.ClusterToken;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Hazelcast configuration a coordinator builds for Kubernetes discovery, and the settings it refuses. */
class ClusterKubernetesConfigTest {

    private static final ClusterToken TOKEN = ClusterToken.generate();

    @Test
    void dnsModeEnablesOnlyKubernetesJoinOnTheMemberPort() {
        Config config = CoordinatorCluster.config(
                new ClusterSettings(
                        "salvo",
                        "10.1.2.3",
                        5701,
                        List.of(),
                        ClusterSettings.Kubernetes.dns("salvo-coordinator-hz.salvo.svc.cluster.local")),
                TOKEN);

        JoinConfig join = config.getNetworkConfig().getJoin();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperties())
                .containsEntry("service-dns", "salvo-coordinator-hz.salvo.svc.cluster.local")
                .containsEntry("service-port", "5701")
                .doesNotContainKeys("service-name", "namespace");
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(config.getNetworkConfig().getPort()).isEqualTo(5701);
        assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("10.1.2.3");
        // The token still guards the cluster name, whatever the join method.
        assertThat(config.getClusterName()).startsWith("salvo-").isNotEqualTo("salvo");
    }

    @Test
    void apiModeNamesTheServiceAndNamespace() {
        Config config = CoordinatorCluster.config(
                new ClusterSettings(
                        "salvo",
                        "10.1.2.3",
                        5702,
                        List.of(),
                        ClusterSettings.Kubernetes.api("salvo", "salvo-coordinator-hz")),
                TOKEN);

        JoinConfig join = config.getNetworkConfig().getJoin();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperties())
                .containsEntry("service-name", "salvo-coordinator-hz")
                .containsEntry("namespace", "salvo")
                .containsEntry("service-port", "5702")
                .doesNotContainKey("service-dns");
        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    }

    @Test
    void apiModeWithoutNamespaceLeavesItToHazelcast() {
        Config config = CoordinatorCluster.config(
                new ClusterSettings("salvo", "10.1.2.3", 5701, List.of(), ClusterSettings.Kubernetes.api(null, "hz")),
                TOKEN);
        assertThat(config.getNetworkConfig().getJoin().getKubernetesConfig().getProperties())
                .doesNotContainKey("namespace");
    }

    @Test
    void memberListKeepsKubernetesOff() {
        ClusterSettings settings = new ClusterSettings("salvo", "127.0.0.1", 5701, List.of("127.0.0.1:5701"));
        JoinConfig join =
                CoordinatorCluster.config(settings, TOKEN).getNetworkConfig().getJoin();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
        assertThat(settings.clustered()).isTrue();
        assertThat(ClusterSettings.standalone().clustered()).isFalse();
    }

    @Test
    void refusesContradictorySettings() {
        assertThatThrownBy(() -> new ClusterSettings(
                        "salvo", "127.0.0.1", 5701, List.of("a:5701"), ClusterSettings.Kubernetes.dns("hz")))
                .hasMessageContaining("not both");
        assertThatThrownBy(() ->
                        new ClusterSettings("salvo", "127.0.0.1", 0, List.of(), ClusterSettings.Kubernetes.dns("hz")))
                .hasMessageContaining("fixed cluster port");
        assertThatThrownBy(() -> new ClusterSettings.Kubernetes("hz.ns.svc", null, "hz"))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> new ClusterSettings.Kubernetes(null, "ns", " "))
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> new ClusterSettings.Kubernetes("hz.ns.svc", "ns", null))
                .hasMessageContaining("namespace");
    }
}
