package io.salvo.cli;

import io.salvo.plan.PlanException;
import io.salvo.plan.PlanParser;
import io.salvo.proto.v1.RunPlan;
import io.salvo.target.ControllableTarget;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs a short distributed benchmark on this machine: the built-in HTTP target on loopback, "
                + "an embedded coordinator and local worker processes, with a live view and the full report."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--workers", defaultValue = "2", description = "Local worker processes (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--rate", defaultValue = "400", description = "Target rate in requests per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--delay-ms", defaultValue = "10", description = "The target's response delay in ms (default: ${DEFAULT-VALUE}).")
    int delayMillis;

    @Option(names = "--quick", description = "A 6-second run instead of 15 seconds.")
    boolean quick;

    @Option(names = "--out", defaultValue = "salvo-results", description = "Report folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        SalvoCli.logLevel(Level.WARNING);
        if (workers < 1 || rate < 1 || delayMillis < 0) {
            System.err.println("salvo: --workers and --rate must be at least 1 and --delay-ms not negative");
            return RunExecution.USER_ERROR;
        }
        ControllableTarget target = ControllableTarget.start(0);
        try {
            target.setDelay(Duration.ofMillis(delayMillis));
            String plan = demoPlan(target.port());
            System.out.printf("Salvo demo: built-in target on 127.0.0.1:%d answering after %d ms; plan:%n%n%s%n",
                    target.port(), delayMillis, plan.indent(2));
            RunPlan parsed;
            try {
                parsed = new PlanParser().parse("(demo plan)", new StringReader(plan), null);
            } catch (PlanException e) {
                System.err.println("salvo: " + e.getMessage());
                return RunExecution.USER_ERROR;
            }
            return new RunExecution(parsed, null, null, null, out, Duration.ofSeconds(60), false, System.out, System.err)
                    .execute();
        } finally {
            target.close();
        }
    }

    String demoPlan(int port) {
        int ramp = quick ? 2 : 5;
        int steady = quick ? 4 : 10;
        return """
                name: demo
                target:
                  url: http://127.0.0.1:%d/v2/models/demo/infer
                  method: POST
                  headers:
                    Content-Type: application/json
                phases:
                  - duration: %ds
                    rate: {from: %d, to: %d}
                  - duration: %ds
                    rate: %d
                arrival: poisson
                workers: %d
                interval: 1s
                timeouts:
                  request: 5s
                """.formatted(port, ramp, Math.max(1, rate / 10), rate, steady, rate, workers);
    }
}
