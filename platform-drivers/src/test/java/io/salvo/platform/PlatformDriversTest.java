package io.salvo.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PlatformDriversTest {

    @Test
    void findsEveryRegisteredDriverByName() {
        assertThat(PlatformDrivers.factories())
                .extracting(PlatformDriver.Factory::name)
                .containsExactly("local", "url");
        PlatformDriver local = PlatformDrivers.factory("local").create(Map.of("profile", "k8s-like"));
        assertThat(local.label())
                .isEqualTo("local k8s-like (local emulation of a Kubernetes Deployment with an HPA's scaling)");
        assertThatThrownBy(() -> PlatformDrivers.factory("lambda")).hasMessageContaining("known: local, url");
        assertThatThrownBy(() -> PlatformDrivers.factory("local").create(Map.of("profile", "fargate-like")))
                .hasMessageContaining("known: lambda-like, cloud-run-like, k8s-like");
        assertThatThrownBy(() -> PlatformDrivers.factory("local").create(Map.of("max-instances", "many")))
                .hasMessageContaining("'max-instances' must be an integer");
    }
}
