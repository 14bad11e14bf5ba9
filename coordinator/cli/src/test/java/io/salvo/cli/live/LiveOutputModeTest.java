package io.salvo.cli.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.cli.live.LiveOutput.Mode;
import org.junit.jupiter.api.Test;

class LiveOutputModeTest {

    @Test
    void theTableOnlyOnATerminalThatMovesItsCursor() {
        assertThat(Mode.choose(false, false, false, true, "xterm-256color")).isEqualTo(Mode.TABLE);
        assertThat(Mode.choose(false, false, false, true, "dumb")).isEqualTo(Mode.PLAIN);
        assertThat(Mode.choose(false, false, false, true, null)).isEqualTo(Mode.PLAIN);
        assertThat(Mode.choose(false, false, false, false, "xterm")).isEqualTo(Mode.PLAIN);
    }

    @Test
    void plainAsksForLinesQuietForNothingAndJsonWinsOverBoth() {
        assertThat(Mode.choose(false, false, true, true, "xterm")).isEqualTo(Mode.PLAIN);
        assertThat(Mode.choose(false, true, false, true, "xterm")).isEqualTo(Mode.NONE);
        assertThat(Mode.choose(true, true, true, true, "xterm")).isEqualTo(Mode.JSON);
        assertThat(Mode.choose(true, false, false, false, null)).isEqualTo(Mode.JSON);
    }

    @Test
    void eachModeMakesItsOwnOutput() {
        var out = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true);
        assertThat(Mode.TABLE.create(SyntheticRun.plan(), out)).isInstanceOf(TerminalTable.class);
        assertThat(Mode.PLAIN.create(SyntheticRun.plan(), out)).isInstanceOf(PlainLines.class);
        assertThat(Mode.JSON.create(SyntheticRun.plan(), out)).isInstanceOf(JsonLines.class);
    }
}
