package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadyLineTest {

    @Test
    void readsTheModelServersReadyLineAndIgnoresOtherLines() {
        ReadyLine line =
                ReadyLine.parse("SALVO_READY port=8123 instance=abc-1 model=minilm model_load_ms=412 warmup_ms=30");
        assertThat(line).isEqualTo(new ReadyLine(8123, "abc-1", 412L));
        assertThat(ReadyLine.parse("2026-01-01 INFO listening on 8123")).isNull();
        assertThat(ReadyLine.parse("SALVO_READYNESS x")).isNull();
        assertThat(ReadyLine.parse("SALVO_READY instance=x").modelLoadMillis()).isNull();
    }
}
