package io.salvo.cli;

import io.salvo.cli.live.LiveOutput;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** How {@code salvo run} and {@code salvo watch} show a run while it goes. */
final class LiveOptions {

    @Option(
            names = "--json",
            description = {
                "Print one JSON object per interval and one at the end on standard output (fields in docs/user-guide.md);",
                "all other text goes to standard error."
            })
    boolean json;

    @Option(
            names = {"--plain", "--no-tty"},
            description = "One line per interval even on a terminal (default there: a table redrawn in place).")
    boolean plain;

    LiveOutput.Mode mode(boolean quiet) {
        return LiveOutput.Mode.forThisProcess(json, quiet, plain);
    }

    /** Where text for people goes: standard output, unless it must stay pure JSON. */
    PrintStream humanOutput() {
        return json ? System.err : System.out;
    }
}
