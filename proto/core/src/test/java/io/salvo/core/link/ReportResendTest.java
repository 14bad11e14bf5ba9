package io.salvo.core.link;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReportResendTest {

    @Test
    void theWindowCoversTheTimeToNoticeADeadCoordinator() {
        assertThat(ReportResend.WINDOW).isGreaterThan(ReportResend.KEEPALIVE_TIME.plus(ReportResend.KEEPALIVE_TIMEOUT));
    }
}
