package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Address rotation and backoff, without dialing anything. */
class CoordinatorDialerTest {

    @Test
    void triesTheAddressesInTurnAndDoublesTheWaitUpToFiveSecondsUntilWelcomed() {
        InetSocketAddress a = InetSocketAddress.createUnresolved("a", 1);
        InetSocketAddress b = InetSocketAddress.createUnresolved("b", 2);
        CoordinatorDialer dialer = new CoordinatorDialer(new WorkerOptions(List.of(a, b), "w", "", 1, 1));

        assertThat(List.of(dialer.nextAddress(), dialer.nextAddress(), dialer.nextAddress()))
                .containsExactly(a, b, a);

        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waits.add(dialer.nextBackoffMillis());
        }
        assertThat(waits).containsExactly(100L, 200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L);

        dialer.resetBackoff();
        assertThat(dialer.backoffMillis()).isEqualTo(100);
    }
}
