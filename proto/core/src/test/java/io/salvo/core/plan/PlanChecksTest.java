package io.salvo.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.Phase;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import io.salvo.testkit.TestPlans;
import org.junit.jupiter.api.Test;

/** What the coordinator refuses from clients other than the CLI, which checks the same with file and line. */
class PlanChecksTest {

    private static RunPlan.Builder plan(String url) {
        RunPlan.Builder plan = TestPlans.valid();
        plan.getRequestBuilder().setUrl(url);
        return plan;
    }

    @Test
    void aSoundPlanPasses() {
        assertThat(PlanChecks.problem(plan("https://127.0.0.1:8443/").build())).isNull();
    }

    @Test
    void preconnectBeyondTheConnectionCapIsRefused() {
        RunPlan.Builder plan = plan("http://127.0.0.1:8080/").setMaxConnectionsPerWorker(16);
        assertThat(PlanChecks.problem(plan.setPreconnectPerWorker(16).build())).isNull();
        assertThat(PlanChecks.problem(plan.setPreconnectPerWorker(17).build()))
                .isEqualTo("plan.preconnect_per_worker must be between 0 and max_connections_per_worker (16), got 17");
        assertThat(PlanChecks.problem(plan.setPreconnectPerWorker(-1).build()))
                .as("a uint32 above 2^31 reads as a negative int")
                .contains("got 4294967295");
    }

    @Test
    void sendAheadWiderThanTheCapIsRefused() {
        RunPlan.Builder plan = plan("http://127.0.0.1:8080/");
        assertThat(PlanChecks.problem(plan.setSendAheadMicros(10_000).build())).isNull();
        assertThat(PlanChecks.problem(plan.setSendAheadMicros(10_001).build()))
                .isEqualTo("plan.send_ahead_micros must be at most 10000, got 10001");
        assertThat(PlanChecks.problem(plan.setSendAheadMicros(-1).build()))
                .as("a uint32 above 2^31 reads as a negative int")
                .contains("got 4294967295");
    }

    @Test
    void trustedCertificatesThatAreNotPemAreRefused() {
        RunPlan garbage = plan("https://127.0.0.1:8443/")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("https://127.0.0.1:8443/")
                        .setMethod("GET")
                        .setTrustedCaCertificatesPem(
                                ByteString.copyFromUtf8("-----BEGIN CERTIFICATE-----\nnot base64\n")))
                .build();
        assertThat(PlanChecks.problem(garbage))
                .startsWith("plan.request.trusted_ca_certificates_pem is not PEM-encoded X.509: ");

        RunPlan forHttp = plan("http://127.0.0.1:8080/")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("http://127.0.0.1:8080/")
                        .setMethod("GET")
                        .setTrustedCaCertificatesPem(ByteString.copyFromUtf8("x")))
                .build();
        assertThat(PlanChecks.problem(forHttp))
                .isEqualTo("plan.request.trusted_ca_certificates_pem applies to https:// URLs only");

        RunPlan der = plan("https://127.0.0.1:8443/")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("https://127.0.0.1:8443/")
                        .setMethod("GET")
                        .setTrustedCaCertificatesPem(ByteString.copyFrom(new byte[] {0x30, (byte) 0x82, 0x01, 0x0a})))
                .build();
        assertThat(PlanChecks.problem(der))
                .isEqualTo("plan.request.trusted_ca_certificates_pem holds no PEM 'BEGIN CERTIFICATE' block");

        RunPlan huge = plan("https://127.0.0.1:8443/")
                .setRequest(RequestTemplate.newBuilder()
                        .setUrl("https://127.0.0.1:8443/")
                        .setMethod("GET")
                        .setTrustedCaCertificatesPem(ByteString.copyFrom(new byte[(1 << 20) + 1])))
                .build();
        assertThat(PlanChecks.problem(huge)).isEqualTo("plan.request.trusted_ca_certificates_pem is larger than 1 MiB");
    }

    @Test
    void aPlanBeyondTheIntervalLimitIsRefused() {
        RunPlan tooLong = plan("http://127.0.0.1:8080/")
                .setIntervalMillis(10)
                .clearPhases()
                .addPhases(Phase.newBuilder()
                        .setDurationMillis(200_000_000L)
                        .setStartRatePerSecond(1)
                        .setEndRatePerSecond(1))
                .build();
        assertThat(PlanChecks.problem(tooLong)).isEqualTo("plan is too long: 20000100 intervals, at most 10000000");
    }
}
