package io.salvo.modelserver.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class InstanceIdentityTest {

    @Test
    void aPlatformsNameForTheInstancePrefixesTheRandomId() {
        String id = InstanceIdentity.idFor("salvo-model-ab12-7d9f-x2k4q");
        assertThat(id).startsWith("salvo-model-ab12-7d9f-x2k4q/");
        assertThat(UUID.fromString(id.substring(id.indexOf('/') + 1))).isNotNull();
        assertThat(InstanceIdentity.idFor("salvo-model-ab12-7d9f-x2k4q"))
                .as("new for every process start, even under the same pod name")
                .isNotEqualTo(id);
    }

    @Test
    void withoutANameTheIdIsARandomUuid() {
        assertThat(UUID.fromString(InstanceIdentity.idFor(null))).isNotNull();
        assertThat(UUID.fromString(InstanceIdentity.idFor("  "))).isNotNull();
    }
}
