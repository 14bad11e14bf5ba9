package io.salvo.cli;

import io.salvo.target.ControllableTarget;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "target",
        mixinStandardHelpOptions = true,
        description = "Runs the built-in HTTP test target on loopback: answers every path after a fixed delay.")
final class TargetCommand implements Callable<Integer> {

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 = any).")
    int port;

    @Option(
            names = "--delay-ms",
            defaultValue = "0",
            description = "Delay before each response, in ms (default: ${DEFAULT-VALUE}).")
    long delayMillis;

    @Option(
            names = "--status",
            defaultValue = "200",
            description = "HTTP status of every response (default: ${DEFAULT-VALUE}).")
    int status;

    @Option(
            names = "--slots",
            defaultValue = "0",
            description = {
                "Serve at most this many requests at once, each for --delay-ms, and queue the rest "
                        + "(default: ${DEFAULT-VALUE} = no limit).",
                "The target's capacity is then slots / delay: 4 slots at 20 ms sustain 200 requests/s."
            })
    int slots;

    @Override
    public Integer call() throws InterruptedException {
        if (status < 100 || status > 599) {
            System.err.println("salvo: --status must be 100..599, got " + status);
            return RunExecution.USER_ERROR;
        }
        if (delayMillis < 0) {
            System.err.println("salvo: --delay-ms must not be negative, got " + delayMillis);
            return RunExecution.USER_ERROR;
        }
        if (slots < 0) {
            System.err.println("salvo: --slots must not be negative, got " + slots);
            return RunExecution.USER_ERROR;
        }
        if (slots > 0 && delayMillis == 0) {
            System.err.println("salvo: --slots needs a --delay-ms above 0 (the time each request holds its slot)");
            return RunExecution.USER_ERROR;
        }
        ControllableTarget target = ControllableTarget.start(port);
        target.setSlots(slots);
        target.setDelay(Duration.ofMillis(delayMillis));
        target.setStatus(status);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            target.close();
                            stopped.countDown();
                        },
                        "salvo-target-shutdown"));
        System.out.println("Salvo test target listening on 127.0.0.1:" + target.port());
        System.out.flush();
        stopped.await();
        return RunExecution.OK;
    }
}
