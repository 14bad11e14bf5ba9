package io.salvo.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.RunPlan;
import org.junit.jupiter.api.Test;

class EngineSettingsTest {

    @Test
    void thePlansSendAheadWindowWinsOverTheWorkersDefault() {
        assertThat(System.getProperty(EngineSettings.SEND_AHEAD_PROPERTY))
                .as("this test reads the built-in default")
                .isNull();
        assertThat(EngineSettings.of(RunPlan.getDefaultInstance()).sendAheadNanos())
                .as("unset in the plan: the worker's default")
                .isEqualTo(EngineSettings.DEFAULT_SEND_AHEAD_MICROS * 1_000L);
        assertThat(EngineSettings.of(
                                RunPlan.newBuilder().setSendAheadMicros(1_000).build())
                        .sendAheadNanos())
                .isEqualTo(1_000_000L);
        assertThat(EngineSettings.of(RunPlan.newBuilder().setSendAheadMicros(0).build())
                        .sendAheadNanos())
                .as("0: nothing is sent early")
                .isZero();
    }

    @Test
    void theWorkersJvmPropertySetsItsDefault() {
        String before = System.getProperty(EngineSettings.SEND_AHEAD_PROPERTY);
        System.setProperty(EngineSettings.SEND_AHEAD_PROPERTY, "250");
        try {
            assertThat(EngineSettings.of(RunPlan.getDefaultInstance()).sendAheadNanos())
                    .isEqualTo(250_000L);
            assertThat(EngineSettings.of(
                                    RunPlan.newBuilder().setSendAheadMicros(40).build())
                            .sendAheadNanos())
                    .isEqualTo(40_000L);
        } finally {
            if (before == null) {
                System.clearProperty(EngineSettings.SEND_AHEAD_PROPERTY);
            } else {
                System.setProperty(EngineSettings.SEND_AHEAD_PROPERTY, before);
            }
        }
    }
}
