package io.salvo.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.salvo.coordinator.server.CoordinatorServer;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import io.salvo.core.security.TlsFiles;
import io.salvo.proto.v1.GetRunResultRequest;
import io.salvo.proto.v1.RunControlGrpc;
import io.salvo.worker.link.WorkerAgent;
import io.salvo.worker.link.WorkerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token authentication, TLS and mutual TLS on the coordinator's real network port. */
class AuthenticationTest {

    @TempDir
    Path dir;

    private final ClusterToken token = ClusterToken.generate();
    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private Handler logCapture;
    /** Held strongly: JUL keeps loggers weakly, and a collected logger loses its handler. */
    private final Logger salvoLogger = Logger.getLogger("io.salvo");

    private CoordinatorServer server;

    @BeforeEach
    void captureLogs() {
        logCapture = new StreamHandler(logs, new SimpleFormatter());
        salvoLogger.addHandler(logCapture);
    }

    @AfterEach
    void stop() {
        salvoLogger.removeHandler(logCapture);
        if (server != null) {
            server.close();
        }
    }

    private Status callWith(ClusterToken callToken, TlsFiles tls) throws IOException {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", server.port());
        if (tls == null) {
            builder.usePlaintext();
        } else {
            builder.sslContext(tls.clientContext()).overrideAuthority("localhost");
        }
        ManagedChannel channel = builder.build();
        try {
            var stub = RunControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            if (callToken != null) {
                stub = stub.withCallCredentials(new BearerTokenCredentials(callToken));
            }
            stub.getRunResult(
                    GetRunResultRequest.newBuilder().setRunId("no-such-run").build());
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void tokenMissingWrongAndRight() throws Exception {
        server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
        Status missing = callWith(null, null);
        assertThat(missing.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(missing.getDescription()).isEqualTo("missing cluster token (pass --token-file or set SALVO_TOKEN)");
        ClusterToken wrong = ClusterToken.of("not-the-token");
        Status wrongStatus = callWith(wrong, null);
        assertThat(wrongStatus.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(wrongStatus.getDescription()).isEqualTo("wrong cluster token");
        // the right token passes authentication and reaches the service, which knows no such run
        assertThat(callWith(token, null).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(server.refusedCalls()).isEqualTo(2);

        logCapture.flush();
        String logged = logs.toString(StandardCharsets.UTF_8);
        assertThat(logged).contains("refused salvo.v1.RunControl/GetRunResult").contains("wrong cluster token");
        assertThat(logged).doesNotContain("not-the-token").doesNotContain(token.reveal());
        assertThat(token.toString()).doesNotContain(token.reveal());
    }

    @Test
    void workerWithAWrongTokenIsRefusedAndStops() throws Exception {
        server = CoordinatorServer.start(new InetSocketAddress("127.0.0.1", 0), token, null);
        WorkerAgent agent = WorkerAgent.start(new WorkerOptions(
                List.of(new InetSocketAddress("127.0.0.1", server.port())),
                "w",
                "",
                1,
                1,
                ClusterToken.of("guess"),
                null));
        try {
            assertThatThrownBy(() -> agent.terminated().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("UNAUTHENTICATED");
            assertThat(server.registry().connected()).isZero();
        } finally {
            agent.close();
        }
    }

    @Test
    void tlsWithATestCaAndMutualTlsRefusingAnotherCasClient() throws Exception {
        TestPki.requireOpenssl();
        TestPki pki = TestPki.create(dir);

        // server-only TLS: a client that trusts the CA gets in; plaintext does not
        server = CoordinatorServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                token,
                new TlsFiles(pki.file("server.pem"), pki.file("server.key"), null));
        assertThat(callWith(token, new TlsFiles(null, null, pki.file("ca.pem"))).getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(callWith(token, null).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(callWith(token, new TlsFiles(null, null, pki.file("other-ca.pem")))
                        .getCode())
                .as("a client that does not trust the server's CA")
                .isEqualTo(Status.Code.UNAVAILABLE);
        server.close();

        // mutual TLS: the CA's client certificate passes, another CA's is refused, none is refused
        server = CoordinatorServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                token,
                new TlsFiles(pki.file("server.pem"), pki.file("server.key"), pki.file("ca.pem")));
        assertThat(callWith(token, new TlsFiles(pki.file("client.pem"), pki.file("client.key"), pki.file("ca.pem")))
                        .getCode())
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(callWith(token, new TlsFiles(pki.file("intruder.pem"), pki.file("intruder.key"), pki.file("ca.pem")))
                        .getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(callWith(token, new TlsFiles(null, null, pki.file("ca.pem"))).getCode())
                .isEqualTo(Status.Code.UNAVAILABLE);
    }
}
