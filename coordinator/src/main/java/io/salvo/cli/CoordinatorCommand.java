package io.salvo.cli;

import io.salvo.coordinator.server.CoordinatorServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = "Runs a coordinator: workers connect to it, clients start runs on it.")
final class CoordinatorCommand implements Callable<Integer> {

    @Option(names = "--bind", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; use 0.0.0.0 to accept remote workers).")
    String bind;

    @Option(names = "--port", defaultValue = "7100", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Override
    public Integer call() throws InterruptedException {
        SalvoCli.logLevel(Level.INFO);
        CoordinatorServer server;
        try {
            server = CoordinatorServer.start(new InetSocketAddress(bind, port), security.serverToken(System.out),
                    security.tls());
        } catch (IOException e) {
            System.err.println("salvo: cannot listen on " + bind + ":" + port + ": " + e.getMessage());
            return RunExecution.FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "salvo-coordinator-shutdown"));
        // Scripts and tests read this line to find the port when --port 0 is used.
        System.out.println("Salvo coordinator listening on " + bind + ":" + server.port()
                + (security.tls() != null ? " (TLS" + (security.tlsCa != null ? ", client certificates required)" : ")") : ""));
        System.out.flush();
        server.awaitTermination();
        return RunExecution.OK;
    }
}
