package io.salvo.cli;

import io.salvo.core.security.ClusterToken;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description = "Runs a load worker that connects to a coordinator and fires the requests it is assigned.")
final class WorkerCommand implements Callable<Integer> {

    @Option(
            names = "--coordinator",
            required = true,
            paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Coordinator address(es); the worker tries them in turn.")
    String coordinators;

    @Option(names = "--id", description = "Worker id (default: host name plus a random suffix).")
    String id;

    @Option(names = "--region", defaultValue = "", description = "Location label reported with results.")
    String region;

    @Option(names = "--weight", defaultValue = "1", description = "Relative capacity for rate slicing (default: 1).")
    int weight;

    @Option(
            names = "--lanes",
            defaultValue = "0",
            description = "Event-loop lanes sending requests (default: 0 = chosen from the cores).")
    int lanes;

    @Option(
            names = "--warmup-requests",
            defaultValue = "" + WorkerOptions.DEFAULT_WARMUP_REQUESTS,
            description = "Loopback requests that compile the request path before the worker joins; fewer leave JIT"
                    + " work to a run's first second (default: ${DEFAULT-VALUE}; 0 skips the warm-up).")
    int warmupRequests;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Mixin
    TlsServerNameOption tlsServerName = new TlsServerNameOption();

    @Option(
            names = "--exit-with-parent",
            paramLabel = "PID",
            hidden = true,
            description = "Exit when this process disappears (used for local workers).")
    Long parentPid;

    @Override
    public Integer call() throws InterruptedException {
        SalvoCli.logLevel(Level.INFO);
        List<InetSocketAddress> addresses;
        try {
            addresses = HostPort.parseList(coordinators);
        } catch (IllegalArgumentException e) {
            System.err.println("salvo: --coordinator: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (weight < 1) {
            System.err.println("salvo: --weight must be at least 1, got " + weight);
            return RunExecution.USER_ERROR;
        }
        if (warmupRequests < 0) {
            System.err.println("salvo: --warmup-requests must be at least 0, got " + warmupRequests);
            return RunExecution.USER_ERROR;
        }
        ClusterToken token;
        String serverName;
        try {
            token = security.clientToken();
            serverName = tlsServerName.validated(security.tls());
        } catch (java.io.IOException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        WorkerOptions defaults = WorkerOptions.defaults(addresses);
        WorkerOptions options = new WorkerOptions(
                addresses,
                id != null ? id : defaults.workerId(),
                region,
                weight,
                lanes > 0 ? lanes : defaults.eventLoopLanes(),
                token,
                security.tls(),
                serverName,
                warmupRequests);
        WorkerAgent agent = WorkerAgent.start(options);
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "salvo-worker-shutdown"));
        if (parentPid != null) {
            watchParent(parentPid, agent);
        }
        try {
            agent.terminated().get();
            return RunExecution.OK;
        } catch (ExecutionException e) {
            System.err.println("salvo: worker stopped: " + e.getCause().getMessage());
            return RunExecution.FAILED;
        }
    }

    private static void watchParent(long pid, WorkerAgent agent) {
        var watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "salvo-parent-watch");
            t.setDaemon(true);
            return t;
        });
        // the check cannot fail: it reads a process handle and closes the agent
        ScheduledFuture<?> unused = watcher.scheduleAtFixedRate(
                () -> {
                    boolean alive =
                            ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        agent.close();
                        Runtime.getRuntime().halt(RunExecution.FAILED);
                    }
                },
                500,
                500,
                TimeUnit.MILLISECONDS);
    }
}
