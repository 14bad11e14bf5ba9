package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.testkit.FakeClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ID token keeper on a fake clock: refreshed ahead of expiry, retried on failure, never printed. */
class InvokerTokenTest {

    private final FakeClock clock = new FakeClock();
    private final Deque<Object> answers = new ArrayDeque<>();
    private final List<String> audiences = new ArrayList<>();

    private Instant now() {
        return Instant.EPOCH.plusNanos(clock.unixNanos());
    }

    private InvokerToken keeper() {
        InvokerToken.Source source = audience -> {
            audiences.add(audience);
            Object next = answers.removeFirst();
            if (next instanceof IOException e) {
                throw e;
            }
            return (InvokerToken.Token) next;
        };
        return new InvokerToken(
                source, "https://svc.a.run.app", Duration.ofMinutes(10), Duration.ofSeconds(30), clock, this::now);
    }

    private InvokerToken.Token token(String value, Duration life) {
        return new InvokerToken.Token(value, now().plus(life));
    }

    @Test
    void refreshesTenMinutesBeforeExpiryAndTellsListenersOnce() throws Exception {
        answers.add(token("t1", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        List<String> seen = new ArrayList<>();
        keeper.addListener(seen::add);
        keeper.start();
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer t1");
        assertThat(audiences).containsExactly("https://svc.a.run.app");

        clock.forward(Duration.ofMinutes(49));
        assertThat(keeper.refreshes()).isZero();
        answers.add(new InvokerToken.Token("t2", now().plus(Duration.ofMinutes(61))));
        clock.forward(Duration.ofMinutes(1));

        assertThat(keeper.refreshes()).isEqualTo(1);
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer t2");
        assertThat(seen).containsExactly("Bearer t2");
        assertThat(keeper.remainingValidity()).isEqualTo(Duration.ofMinutes(60));
        keeper.close();
    }

    @Test
    void aFailedRefreshIsRetriedEvery30SecondsAndReported() throws Exception {
        answers.add(token("t1", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        keeper.start();
        answers.add(new IOException("metadata server unreachable"));
        answers.add(new IOException("metadata server unreachable"));
        clock.forward(Duration.ofMinutes(50));
        assertThat(keeper.problem()).contains("metadata server unreachable").doesNotContain("t1");
        assertThat(keeper.authorizationValue())
                .as("the old token until a new one comes")
                .isEqualTo("Bearer t1");

        clock.forward(Duration.ofSeconds(30));
        assertThat(audiences).hasSize(3);
        answers.add(token("t2", Duration.ofHours(1)));
        clock.forward(Duration.ofSeconds(30));
        assertThat(keeper.problem()).isNull();
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer t2");
        keeper.close();
    }

    @Test
    void aShortLivedTokenIsRefreshedAtHalfItsLifeAndCloseStopsRefreshing() throws Exception {
        answers.add(token("short", Duration.ofMinutes(4)));
        InvokerToken keeper = keeper();
        keeper.start();
        answers.add(token("next", Duration.ofHours(1)));
        clock.forward(Duration.ofMinutes(2));
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer next");
        keeper.close();
        clock.forward(Duration.ofHours(2));
        assertThat(audiences).hasSize(2);
    }

    @Test
    void aRunLongerThanTheTokensRemainingLifeGetsAFreshTokenFirst() throws Exception {
        answers.add(token("t1", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        List<String> seen = new ArrayList<>();
        keeper.addListener(seen::add);
        keeper.start();
        clock.forward(Duration.ofMinutes(30));

        keeper.ensureValidFor(Duration.ofMinutes(20)); // 30 min left: enough
        assertThat(audiences).hasSize(1);

        answers.add(token("t2", Duration.ofHours(1)));
        keeper.ensureValidFor(Duration.ofMinutes(45));
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer t2");
        assertThat(seen).containsExactly("Bearer t2");

        answers.add(token("t3", Duration.ofHours(1)));
        assertThatThrownBy(() -> keeper.ensureValidFor(Duration.ofMinutes(90)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("valid for 60 min, the run needs 90 min")
                .hasMessageNotContaining("t3");
        keeper.close();
    }

    /**
     * A run of four hours with the header renewed whenever {@code requestHeaders()} says, on the fake clock: every
     * renewal yields a new token valid for 10 more minutes at least, and a failed background refresh is made up for
     * at the renewal.
     */
    @Test
    void requestHeadersAreRenewedBeforeExpiryForARunOfAnyLength() throws Exception {
        answers.add(token("t1", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        keeper.start();
        Instant runEnd = now().plus(Duration.ofHours(4));
        io.salvo.platform.RequestHeaders headers = keeper.requestHeaders();
        assertThat(headers.shared()).containsExactly(java.util.Map.entry("Authorization", "Bearer t1"));
        assertThat(headers.renewAt()).isEqualTo(now().plus(Duration.ofMinutes(50)));
        assertThat(headers.toString()).doesNotContain("t1");
        List<String> used = new ArrayList<>(List.of("t1"));
        for (int fetch = 2; now().isBefore(runEnd); fetch++) {
            assertThat(Duration.between(headers.renewAt(), keeper.expiresAt()))
                    .as("the header in use outlives its renewal by the margin")
                    .isGreaterThanOrEqualTo(Duration.ofMinutes(10));
            Duration untilRenewal = Duration.between(now(), headers.renewAt());
            if (fetch == 3) {
                answers.add(new IOException("metadata server unreachable")); // the background refresh fails
            }
            answers.add(token("t" + fetch, untilRenewal.plus(Duration.ofHours(1))));
            clock.forward(untilRenewal);
            headers = keeper.requestHeaders();
            assertThat(headers.shared()).containsExactly(java.util.Map.entry("Authorization", "Bearer t" + fetch));
            assertThat(keeper.remainingValidity()).isEqualTo(Duration.ofHours(1));
            used.add("t" + fetch);
            answers.clear();
        }
        assertThat(used)
                .as("t1, then renewals at 50, 100, 150, 200 and 250 min")
                .hasSize(6);
        keeper.close();
    }

    /** A fetch due at a renewal that fails throws without the token, keeps the current one, and the next ask works. */
    @Test
    void aFailedRenewalThrowsKeepsTheCurrentTokenAndTheNextAskSucceeds() throws Exception {
        answers.add(token("t1", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        keeper.start();
        answers.add(new IOException("quota exceeded")); // the background refresh at 50 min
        clock.forward(Duration.ofMinutes(50));
        answers.add(new IOException("quota exceeded")); // the fetch the renewal makes
        assertThatThrownBy(keeper::requestHeaders)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("quota")
                .hasMessageNotContaining("t1");
        assertThat(keeper.authorizationValue()).isEqualTo("Bearer t1");
        clock.forward(Duration.ofSeconds(30));
        answers.add(token("t2", Duration.ofHours(1)));
        assertThat(keeper.requestHeaders().shared()).containsEntry("Authorization", "Bearer t2");
        keeper.close();
    }

    @Test
    void theTokenNeverAppearsInToString() throws Exception {
        answers.add(token("secret-token-value", Duration.ofHours(1)));
        InvokerToken keeper = keeper();
        keeper.start();
        assertThat(keeper.toString()).doesNotContain("secret-token-value");
        assertThat(token("secret-token-value", Duration.ofHours(1)).toString()).doesNotContain("secret-token-value");
        keeper.close();
    }

    @Test
    void beforeStartThereIsNoHeader() {
        assertThatThrownBy(() -> keeper().authorizationValue()).isInstanceOf(IllegalStateException.class);
    }
}
