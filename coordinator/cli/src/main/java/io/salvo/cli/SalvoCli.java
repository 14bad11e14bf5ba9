package io.salvo.cli;

import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code salvo} command line. */
@Command(
        name = "salvo",
        mixinStandardHelpOptions = true,
        versionProvider = SalvoCli.Version.class,
        description = "Distributed, coordinated-omission-free load generation for benchmarking ML model serving.",
        subcommands = {
            RunCommand.class,
            SearchCommand.class,
            WatchCommand.class,
            CoordinatorCommand.class,
            WorkerCommand.class,
            TargetCommand.class,
            DemoCommand.class,
            BenchCommand.class,
            PlatformsCommand.class,
            CompareCommand.class,
            ReportCommand.class,
            DeployCommand.class,
            UndeployCommand.class,
            TeardownCommand.class,
            WorkersCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SalvoCli {

    static {
        // One line per record, before any logger exists; the JDK default spreads each over two lines.
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new SalvoCli());
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("salvo: " + e.getMessage());
            e.getCommandLine()
                    .getErr()
                    .println("Try 'salvo " + e.getCommandLine().getCommandName() + " --help' for more information.");
            return RunExecution.USER_ERROR;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("salvo: internal error: " + e);
            Logger.getLogger(SalvoCli.class.getName()).log(Level.FINE, "internal error", e);
            return RunExecution.FAILED;
        });
        return cli.execute(args);
    }

    /** Sets the level of Salvo's and the libraries' JDK logging. */
    static void logLevel(Level level) {
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        for (var handler : root.getHandlers()) {
            handler.setLevel(level);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SalvoCli.class.getPackage().getImplementationVersion();
            return new String[] {"salvo " + (v == null ? "(development build)" : v) + ", wire protocol 1"};
        }
    }
}
