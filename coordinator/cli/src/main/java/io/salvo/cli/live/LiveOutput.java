package io.salvo.cli.live;

import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.RunPlan;
import java.io.Console;
import java.io.PrintStream;

/**
 * How a run's live snapshots reach the user while it goes: a table redrawn in place on a terminal, one line
 * per interval in a log, or one JSON object per interval for scripts. The caller feeds each interval once, in
 * index order, from one thread; then the terminal snapshot.
 */
public interface LiveOutput {

    /** One completed interval. */
    void interval(LiveSnapshot snapshot);

    /** The run's terminal snapshot (completed, stopped or failed, with the reason). */
    void ended(LiveSnapshot terminal);

    /**
     * What the platform under test said since the last interval (when a platform driver takes part in the run): its
     * ready and starting instances and its new events. Fed after {@link #interval}, from the same thread.
     */
    default void platform(PlatformUpdate update) {}

    /**
     * Something else is about to write to the same terminal (a fail-over notice, the Ctrl-C message): a view
     * that redraws in place must draw its next frame below that text instead of over it. May be called from
     * another thread.
     */
    default void beforeOtherOutput() {}

    /** Shows nothing ({@code --quiet}). */
    static LiveOutput none() {
        return new LiveOutput() {
            @Override
            public void interval(LiveSnapshot snapshot) {}

            @Override
            public void ended(LiveSnapshot terminal) {}
        };
    }

    /** The kinds of live output, and which one a command line and its surroundings ask for. */
    enum Mode {
        /** Nothing until the final report. */
        NONE,
        /** The table, redrawn in place with ANSI escapes. */
        TABLE,
        /** One line per interval (CI logs, pipes). */
        PLAIN,
        /** One JSON object per line: each interval, then the end. */
        JSON;

        /**
         * {@code --json} wins; else {@code --quiet} shows nothing; else the table where standard output is a
         * terminal that understands cursor movement, unless {@code --plain} asks for lines.
         *
         * @param interactive whether standard input and output are a terminal ({@code System.console() != null})
         * @param term the {@code TERM} environment variable, or null
         */
        public static Mode choose(boolean json, boolean quiet, boolean plain, boolean interactive, String term) {
            if (json) {
                return JSON;
            }
            if (quiet) {
                return NONE;
            }
            boolean capableTerminal = interactive && term != null && !term.isBlank() && !"dumb".equals(term);
            return capableTerminal && !plain ? TABLE : PLAIN;
        }

        /** {@link #choose} for this process: its console and its {@code TERM}. */
        public static Mode forThisProcess(boolean json, boolean quiet, boolean plain) {
            return choose(json, quiet, plain, interactive(), System.getenv("TERM"));
        }

        /** Whether standard input and output are a terminal. */
        @SuppressWarnings("SystemConsoleNull") // handled: isTerminal() is asked where it exists
        static boolean interactive() {
            Console console = System.console();
            if (console == null) {
                return false; // JDK 17 to 21: no terminal
            }
            // JDK 22 and later return a console even without a terminal; Console.isTerminal() tells.
            try {
                return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
            } catch (ReflectiveOperationException beforeJdk22) {
                return true;
            }
        }

        /** The output of this kind for a run of {@code plan}, written to {@code out}. */
        public LiveOutput create(RunPlan plan, PrintStream out) {
            return switch (this) {
                case NONE -> none();
                case TABLE -> new TerminalTable(new RunProgress(plan), out, TerminalTable.columns());
                case PLAIN -> new PlainLines(plan, out);
                case JSON -> new JsonLines(new RunProgress(plan), out);
            };
        }
    }
}
