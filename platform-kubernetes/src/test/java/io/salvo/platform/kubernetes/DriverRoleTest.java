package io.salvo.platform.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Role in deploy/kubernetes/platform-driver grants every call the drivers make (the list below is what the driver
 * code calls, verb by verb) and nothing beyond: no wildcard, no secrets, nothing cluster-wide but reading nodes and
 * (for node events, which live outside the model's namespace) events.
 */
class DriverRoleTest {

    private static final Path ROLE = Path.of("..", "deploy", "kubernetes", "platform-driver", "role.yaml");

    /** group/resource:verb for each API call of KubernetesPlatformDriver, KnativePlatformDriver and their base. */
    private static final Set<String> CALLS = Set.of(
            "apps/deployments:create", // deploy
            "apps/deployments:get",
            "apps/deployments:list",
            "apps/deployments:deletecollection", // teardown by label
            "apps/deployments/scale:patch", // forceCold, loadStarting
            "apps/deployments/scale:update",
            "apps/deployments/scale:get",
            "/services:create",
            "/services:deletecollection",
            "autoscaling/horizontalpodautoscalers:create",
            "autoscaling/horizontalpodautoscalers:deletecollection",
            "serving.knative.dev/services:create",
            "serving.knative.dev/services:get", // route URL and readiness
            "serving.knative.dev/services:deletecollection",
            "/pods:list", // the observer, scale-to-zero wait
            "/pods/portforward:create", // the endpoint without an ingress URL
            "/events:list", // the breakdown, live events
            "/resourcequotas:list", // checks before anything is created
            "/limitranges:list");

    /** group/resource:verb of the calls outside the namespace (ClusterObserver): nodes, and events about nodes. */
    private static final Set<String> CLUSTER_CALLS = Set.of(
            "/nodes:list", // node phases, node-hours by instance type
            "/events:list"); // node events (field selector involvedObject.kind=Node) in every namespace

    @Test
    void theRoleGrantsEveryCallTheDriversMakeAndNoMore() throws Exception {
        KubernetesSerialization yaml = new KubernetesSerialization();
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : Files.readString(ROLE).split("(?m)^---\\s*$", -1)) {
            if (!document.isBlank()) {
                objects.add(yaml.unmarshal(document, HasMetadata.class));
            }
        }
        Role role = objects.stream()
                .filter(Role.class::isInstance)
                .map(Role.class::cast)
                .findFirst()
                .orElseThrow();
        Set<String> granted = new TreeSet<>();
        for (PolicyRule rule : role.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        assertThat(granted).containsAll(CALLS);
        assertThat(granted).noneMatch(g -> g.contains("*") || g.contains("secrets"));

        ClusterRole cluster = objects.stream()
                .filter(ClusterRole.class::isInstance)
                .map(ClusterRole.class::cast)
                .findFirst()
                .orElseThrow();
        Set<String> clusterWide = new TreeSet<>();
        for (PolicyRule rule : cluster.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        clusterWide.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        assertThat(clusterWide).containsAll(CLUSTER_CALLS);
        assertThat(clusterWide)
                .as("cluster-wide: reading nodes and events, nothing else")
                .containsExactlyInAnyOrder(
                        "/nodes:get", "/nodes:list", "/nodes:watch", "/events:get", "/events:list", "/events:watch");
    }
}
