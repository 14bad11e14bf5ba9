package io.salvo.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.proto.v1.ConnectedWorker;
import io.salvo.proto.v1.ListWorkersRequest;
import io.salvo.proto.v1.ListWorkersResponse;
import io.salvo.proto.v1.RunControlGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "workers",
        mixinStandardHelpOptions = true,
        description = "Lists the workers connected to a coordinator cluster: region, state, clock offset, last heard.")
final class WorkersCommand implements Callable<Integer> {

    @Option(
            names = "--coordinator",
            paramLabel = "HOST:PORT[,HOST:PORT…]",
            description = "Coordinators to ask; the first that answers is used.")
    String coordinator;

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Mixin
    KubernetesOptions kubernetes = new KubernetesOptions();

    @Mixin
    TlsServerNameOption tlsServerName = new TlsServerNameOption();

    @Override
    public Integer call() {
        SalvoCli.logLevel(Level.WARNING);
        ClientTls tls;
        try {
            tls = tlsServerName.resolve(security.tls(), kubernetes.enabled ? kubernetes.namespace : null);
        } catch (IOException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        try (KubernetesOptions.Coordinators coordinators = kubernetes.resolve(coordinator, security)) {
            return list(coordinators.addresses(), coordinators.token(), tls);
        } catch (KubernetesOptions.Refused e) {
            System.err.println("salvo: " + e.getMessage());
            return e.exitCode;
        }
    }

    private static int list(List<InetSocketAddress> addresses, ClusterToken token, ClientTls tls) {
        StatusRuntimeException last = null;
        for (InetSocketAddress address : addresses) {
            ManagedChannel channel = tls.configure(
                            NettyChannelBuilder.forAddress(address.getHostString(), address.getPort()))
                    .build();
            try {
                var stub = RunControlGrpc.newBlockingStub(channel);
                if (token != null) {
                    stub = stub.withCallCredentials(new BearerTokenCredentials(token));
                }
                ListWorkersResponse list = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listWorkers(ListWorkersRequest.getDefaultInstance());
                print(list, System.out);
                return RunExecution.OK;
            } catch (StatusRuntimeException e) {
                last = e;
                System.err.println("salvo: coordinator " + HostPort.format(address) + ": " + RunExecution.describe(e));
            } finally {
                channel.shutdownNow();
            }
        }
        return last == null ? RunExecution.OK : RunExecution.FAILED;
    }

    static void print(ListWorkersResponse list, PrintStream out) {
        if (list.getWorkersCount() == 0) {
            out.println("No workers connected (asked " + list.getCoordinatorId() + ")");
            return;
        }
        int idWidth = list.getWorkersList().stream()
                .mapToInt(w -> w.getHello().getWorkerId().length())
                .max()
                .orElse(0);
        int regionWidth = list.getWorkersList().stream()
                .mapToInt(w -> w.getHello().getRegion().length())
                .max()
                .orElse(0);
        String format =
                "%-" + Math.max(6, idWidth) + "s  %-" + Math.max(6, regionWidth) + "s  %6s  %-22s  %20s  %10s%n";
        out.printf(Locale.ROOT, format, "WORKER", "REGION", "WEIGHT", "STATE", "CLOCK OFFSET", "LAST HEARD");
        for (ConnectedWorker w : list.getWorkersList()) {
            String region =
                    w.getHello().getRegion().isEmpty() ? "-" : w.getHello().getRegion();
            String state = w.getRunId().isEmpty() ? "idle" : "running " + w.getRunId();
            String offset = w.getClockRoundTripNanos() < 0
                    ? "not probed"
                    : String.format(
                            Locale.ROOT,
                            "%+.3f ms ±%.3f",
                            w.getClockOffsetNanos() / 1e6,
                            w.getClockRoundTripNanos() / 2e6);
            double ago = Math.max(0, list.getAtUnixNanos() - w.getLastHeardUnixNanos()) / 1e9;
            out.printf(
                    Locale.ROOT,
                    format,
                    w.getHello().getWorkerId(),
                    region,
                    w.getHello().getWeight(),
                    state,
                    offset,
                    String.format(Locale.ROOT, "%.1f s ago", ago));
        }
        out.println(list.getWorkersCount() + " worker" + (list.getWorkersCount() == 1 ? "" : "s") + " (asked "
                + list.getCoordinatorId() + ")");
    }
}
