package io.salvo.coordinator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReportKeyTest {

    @Test
    void keysAreZeroPaddedSoTheySortByInterval() {
        assertThat(ReportKey.of(0, "w")).isEqualTo("000000000000/w");
        assertThat(ReportKey.of(1234, "a/b")).isEqualTo("000000001234/a/b");
        assertThat(ReportKey.of(999_999_999_999L, "w")).isEqualTo("999999999999/w");
        assertThat(ReportKey.of(9, "z").compareTo(ReportKey.of(10, "a"))).isNegative();
    }

    @Test
    void aKeyParsesBackToItsIntervalAndWorkerEvenWhenTheWorkerNameHasASlash() {
        assertThat(ReportKey.parse(ReportKey.of(1234, "a/b"))).contains(new ReportKey(1234, "a/b"));
        assertThat(ReportKey.parse(ReportKey.of(0, ""))).contains(new ReportKey(0, ""));
        assertThat(ReportKey.parse("7/w")).contains(new ReportKey(7, "w"));
    }

    @Test
    void keysThisCodeDoesNotWriteParseToNothing() {
        assertThat(ReportKey.parse("no-slash")).isEmpty();
        assertThat(ReportKey.parse("/w")).isEmpty();
        assertThat(ReportKey.parse("x1/w")).isEmpty();
        assertThat(ReportKey.parse("-3/w")).isEmpty();
        assertThat(ReportKey.parse("99999999999999999999/w")).isEmpty();
    }
}
