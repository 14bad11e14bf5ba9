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

    @Test
    void theSpisOptionalPartsAreNeutralByDefault() throws Exception {
        PlatformDriver url = PlatformDrivers.factory("url").create(Map.of("url", "http://127.0.0.1:1"));
        assertThat(url.requestHeaders(new RunRequests(
                        "GET", java.net.URI.create("http://127.0.0.1:1/"), Map.of(), java.util.List.of())))
                .isEqualTo(RequestHeaders.NONE);
        url.observeResponses(java.time.Instant.EPOCH, "instance-a", null, 1);
        assertThat(url.coldStartVerdict()).isEqualTo(ColdStartVerdict.notForced());
        assertThat(url.coldStartVerdict().state()).isEqualTo(ColdStartVerdict.State.NOT_FORCED);
    }
}
