package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.testkit.FakeClock;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;

/**
 * Function URL signatures made off the hot path: one per distinct body per round, rounds on a schedule well within
 * SigV4's validity (and before temporary credentials expire), each signature checked here by an independent SigV4
 * computation (HMAC-SHA256 by hand, not the SDK).
 */
class FunctionUrlSignerTest {

    private static final URI URL =
            URI.create("https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/v2/models/minilm/predict");
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final Map<String, String> PLAN_HEADERS = Map.of("Content-Type", "application/json");

    private final FakeClock time = new FakeClock();

    private FunctionUrlSigner signer(List<byte[]> bodies, AwsCredentialsProvider credentials, Duration every) {
        return new FunctionUrlSigner(
                URL, "POST", PLAN_HEADERS, bodies, credentials, Region.EU_WEST_1, TestClocks.of(time), every);
    }

    private static AwsCredentialsProvider basic() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", SECRET));
    }

    private static byte[] body(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void signsEachDistinctBodyOnceAndEverySignatureVerifies() throws Exception {
        List<byte[]> bodies = List.of(
                body("{\"inputs\":[\"a\"]}"),
                body("{\"inputs\":[\"b\"]}"),
                body("{\"inputs\":[\"a\"]}"),
                body("{\"inputs\":[\"c\"]}"),
                body("{\"inputs\":[\"b\"]}"));
        FunctionUrlSigner signer = signer(bodies, basic(), FunctionUrlSigner.DEFAULT_RESIGN_INTERVAL);

        FunctionUrlSigner.Signatures round = signer.signRound();

        assertThat(round.signingsInRound()).isEqualTo(3);
        assertThat(round.headersPerBody()).hasSize(5);
        assertThat(round.headersPerBody().get(0))
                .isEqualTo(round.headersPerBody().get(2));
        assertThat(round.headersPerBody().get(1))
                .isEqualTo(round.headersPerBody().get(4));
        assertThat(round.headersPerBody().get(0))
                .isNotEqualTo(round.headersPerBody().get(1));
        assertThat(round.signedAt()).isEqualTo(FakeClock.START);
        assertThat(round.useUntil()).isEqualTo(FakeClock.START.plusSeconds(60));
        for (int i = 0; i < bodies.size(); i++) {
            Map<String, String> headers = round.headersPerBody().get(i);
            assertThat(headers).containsEntry("X-Amz-Date", "20260101T000000Z");
            assertThat(headers.keySet())
                    .doesNotContain("Content-Type")
                    .noneMatch(h -> h.equalsIgnoreCase("x-amz-security-token"));
            assertThat(headers.get("Authorization"))
                    .startsWith(
                            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=");
            verifySigV4(headers, bodies.get(i), SECRET);
        }
        assertThat(signer.current()).isSameAs(round);
    }

    @Test
    void reSignsEveryIntervalOnTheSchedulerNeverOnTheSendersThread() {
        FunctionUrlSigner signer = signer(List.of(body("x"), body("y")), basic(), Duration.ofSeconds(60));
        List<FunctionUrlSigner.Signatures> rounds = new ArrayList<>();

        signer.start(time, rounds::add);
        assertThat(rounds).hasSize(1);
        time.forward(Duration.ofSeconds(59));
        assertThat(rounds).hasSize(1);
        time.forward(Duration.ofSeconds(1));
        assertThat(rounds).hasSize(2);
        assertThat(rounds.get(1).headersPerBody().get(0)).containsEntry("X-Amz-Date", "20260101T000100Z");
        assertThat(signer.current()).isSameAs(rounds.get(1));

        time.forward(Duration.ofMinutes(10));
        assertThat(rounds).hasSize(12);
        // at any instant, the signatures in use are younger than the interval: far inside SigV4's 5 minutes
        for (int i = 1; i < rounds.size(); i++) {
            assertThat(Duration.between(
                            rounds.get(i - 1).signedAt(), rounds.get(i).signedAt()))
                    .isEqualTo(Duration.ofSeconds(60))
                    .isLessThan(FunctionUrlSigner.SIGNATURE_VALIDITY);
        }
        signer.close();
        time.forward(Duration.ofMinutes(5));
        assertThat(rounds).hasSize(12);
    }

    @Test
    void temporaryCredentialsCarryTheirTokenAndARoundComesBeforeTheyExpire() throws Exception {
        Instant expires = FakeClock.START.plus(Duration.ofSeconds(150));
        AwsCredentialsProvider session = StaticCredentialsProvider.create(AwsSessionCredentials.builder()
                .accessKeyId("ASIAEXAMPLE")
                .secretAccessKey(SECRET)
                .sessionToken("token-1")
                .expirationTime(expires)
                .build());
        FunctionUrlSigner signer = signer(List.of(body("x")), session, Duration.ofMinutes(4));
        List<FunctionUrlSigner.Signatures> rounds = new ArrayList<>();

        FunctionUrlSigner.Signatures first = signer.start(time, rounds::add);

        assertThat(first.headersPerBody().get(0)).containsEntry("X-Amz-Security-Token", "token-1");
        verifySigV4(first.headersPerBody().get(0), body("x"), SECRET);
        assertThat(first.useUntil()).isEqualTo(expires.minus(FunctionUrlSigner.CREDENTIAL_MARGIN));
        time.forward(Duration.ofSeconds(30));
        assertThat(rounds).hasSize(2);
    }

    @Test
    void aFailedRoundKeepsThePreviousSignaturesAndRetriesSoon() {
        AtomicInteger calls = new AtomicInteger();
        AwsCredentialsProvider flaky = () -> {
            if (calls.incrementAndGet() == 2) {
                throw SdkClientException.create("Unable to load credentials from any of the providers in the chain");
            }
            return AwsBasicCredentials.create("AKIDEXAMPLE", SECRET);
        };
        FunctionUrlSigner signer = signer(List.of(body("x")), flaky, Duration.ofSeconds(60));
        List<FunctionUrlSigner.Signatures> rounds = new ArrayList<>();
        FunctionUrlSigner.Signatures first = signer.start(time, rounds::add);

        time.forward(Duration.ofSeconds(60));
        assertThat(rounds).hasSize(1);
        assertThat(signer.current()).isSameAs(first);
        time.forward(FunctionUrlSigner.RETRY_AFTER_FAILURE);
        assertThat(rounds).hasSize(2);
        assertThat(rounds.get(1).signedAt()).isEqualTo(FakeClock.START.plusSeconds(65));
    }

    @Test
    void anIntervalBeyondTheSignaturesValidityIsRefused() {
        assertThatThrownBy(() -> signer(List.of(), basic(), Duration.ofMinutes(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be in (0, 4 min]");
        assertThatThrownBy(() -> signer(List.of(), basic(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        // no bodies: one request without a body is signed
        assertThat(signer(List.of(), basic(), Duration.ofMinutes(4)).signRound().signingsInRound())
                .isEqualTo(1);
    }

    private static void verifySigV4(Map<String, String> added, byte[] body, String secret) throws Exception {
        SigV4Check.verify("POST", URL, PLAN_HEADERS, added, body, secret);
    }
}
