package io.salvo.worker.http;

import static io.salvo.worker.http.ScriptedServer.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.testkit.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool and its connections against real loopback sockets; timeouts are generous for a loaded machine. */
class ConnectionPoolTest {

    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static MultiThreadIoEventLoopGroup group;
    private static EventLoop loop;

    @BeforeAll
    static void startLoop() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
    }

    @AfterAll
    static void stopLoop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Records what the pool told it. */
    static final class Recorded extends HttpExchange {
        final EncodedRequests requests;
        final CompletableFuture<Object> outcome = new CompletableFuture<>();
        volatile String[] selected;

        Recorded(EncodedRequests requests) {
            this.requests = requests;
        }

        @Override
        protected ByteBuf request() {
            return requests.request(0);
        }

        @Override
        protected void onResponse(int status, String[] selectedValues) {
            selected = selectedValues;
            if (!outcome.complete(status)) {
                throw new AssertionError("a second callback");
            }
        }

        @Override
        protected void onFailure(Throwable cause) {
            if (!outcome.complete(cause)) {
                throw new AssertionError("a second callback");
            }
        }

        Object await() throws Exception {
            return outcome.get(20, TimeUnit.SECONDS);
        }
    }

    private static <T> T onLoop(Callable<T> action) throws Exception {
        return loop.submit(action).get(20, TimeUnit.SECONDS);
    }

    private static EncodedRequests requests(String url) {
        return EncodedRequests.of(RequestTemplate.newBuilder()
                .setUrl(url)
                .setMethod("POST")
                .addBodies(com.google.protobuf.ByteString.copyFromUtf8("{\"x\":1}"))
                .build());
    }

    private static ConnectionPool pool(
            EncodedRequests requests, int maxConnections, long keepAliveMillis, SslContext tls) {
        return new ConnectionPool(
                loop,
                NioSocketChannel::new,
                DefaultAddressResolverGroup.INSTANCE,
                requests.target(),
                tls,
                HeaderSelection.of(List.of("X-Instance")),
                requests.headRequests(),
                new ConnectionPool.Settings(maxConnections, 2_000, TimeUnit.MILLISECONDS.toNanos(keepAliveMillis)));
    }

    /** A loopback port nothing listens on (it was bound a moment ago and released), so connects are refused. */
    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Hands {@code count} exchanges to the pool in one event-loop task, so none can finish before the last is queued. */
    private static List<Recorded> executeAll(ConnectionPool pool, EncodedRequests requests, int count)
            throws Exception {
        List<Recorded> exchanges = new ArrayList<>();
        onLoop(() -> {
            for (int i = 0; i < count; i++) {
                Recorded exchange = new Recorded(requests);
                exchanges.add(exchange);
                pool.execute(exchange);
            }
            return null;
        });
        return exchanges;
    }

    private static Recorded execute(ConnectionPool pool, EncodedRequests requests) throws Exception {
        Recorded exchange = new Recorded(requests);
        onLoop(() -> {
            pool.execute(exchange);
            return null;
        });
        return exchange;
    }

    @Test
    void keepAliveCarriesSequentialExchangesOnOneConnection() throws Exception {
        try (ScriptedServer server = new ScriptedServer(
                (c, r, head) -> bytes("HTTP/1.1 200 OK\r\nX-Instance: i-" + c + "\r\nContent-Length: 2\r\n\r\nok"))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/v2/models/m/infer?x=1");
            ConnectionPool pool = pool(requests, 4, 5_000, null);
            for (int i = 0; i < 20; i++) {
                Recorded exchange = execute(pool, requests);
                assertThat(exchange.await()).isEqualTo(200);
                assertThat(exchange.selected).containsExactly("i-0");
            }
            assertThat(server.connections()).isEqualTo(1);
            assertThat(server.requests().get(0))
                    .startsWith("POST /v2/models/m/infer?x=1 HTTP/1.1\r\n")
                    .contains(
                            "Host: 127.0.0.1:" + server.port() + "\r\n",
                            "User-Agent: Salvo-Worker/1\r\n",
                            "Content-Length: 7\r\n");
            onLoop(() -> {
                pool.close();
                return null;
            });
        }
    }

    @Test
    void connectionCloseAndGarbageAfterTheResponseEndTheConnection() throws Exception {
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> bytes(
                c % 2 == 0
                        ? "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                        : OK + "unasked-for bytes"))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 4, 5_000, null);
            for (int i = 0; i < 4; i++) {
                assertThat(execute(pool, requests).await()).isEqualTo(200);
            }
            assertThat(server.connections()).isEqualTo(4);
        }
    }

    @Test
    void neverMoreThanTheMaximumOpenAndEveryWaitingExchangeIsServed() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> {
            answer.await(20, TimeUnit.SECONDS); // until the other exchanges wait behind both busy connections
            return bytes(OK);
        })) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 2, 5_000, null);
            List<Recorded> exchanges = new ArrayList<>();
            onLoop(() -> {
                for (int i = 0; i < 6; i++) {
                    Recorded exchange = new Recorded(requests);
                    exchanges.add(exchange);
                    pool.execute(exchange);
                }
                assertThat(pool.openConnections()).isEqualTo(2);
                return null;
            });
            Await.until(
                    "both connections carry a request", () -> server.requests().size() == 2);
            answer.countDown();
            for (Recorded exchange : exchanges) {
                assertThat(exchange.await()).isEqualTo(200);
            }
            assertThat(server.connections()).isEqualTo(2);
            assertThat(onLoop(pool::connectionsOpened)).isEqualTo(2);
        }
    }

    @Test
    void preconnectedConnectionsCarryTheFirstRequestsWithoutAnotherConnect() throws Exception {
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> bytes(OK))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 2, 5_000, null);
            onLoop(() -> {
                pool.preconnect(3); // capped at the maximum
                assertThat(pool.openConnections()).isEqualTo(2);
                return null;
            });
            Await.until("the server accepted both connections before any request", () -> server.connections() == 2);
            assertThat(server.requests()).isEmpty();
            List<Recorded> exchanges = executeAll(pool, requests, 4);
            for (Recorded exchange : exchanges) {
                assertThat(exchange.await()).isEqualTo(200);
            }
            assertThat(server.connections()).isEqualTo(2);
            assertThat(onLoop(pool::connectionsOpened)).isEqualTo(2);
        }
    }

    @Test
    void aFailedPreconnectFailsNoRequestAndALaterRequestOpensItsOwnConnection() throws Exception {
        EncodedRequests requests = requests("http://127.0.0.1:" + closedPort() + "/");
        ConnectionPool pool = pool(requests, 2, 5_000, null);
        onLoop(() -> {
            pool.preconnect(2);
            return null;
        });
        awaitNoOpenConnections(pool);
        Recorded exchange = execute(pool, requests);
        assertThat(exchange.await()).isInstanceOf(Throwable.class);
        assertThat(onLoop(pool::connectionsOpened)).isEqualTo(3);
        awaitNoOpenConnections(pool);
    }

    @Test
    void aPreconnectWhoseConnectsFailAtOnceReturns() throws Exception {
        // The blocking resolver answers an unknown name inside connect(), so each connect fails synchronously.
        EncodedRequests requests = requests("http://salvo-preconnect-test.invalid:8080/");
        ConnectionPool pool = pool(requests, 4, 5_000, null);
        onLoop(() -> {
            pool.preconnect(4);
            return null;
        });
        awaitNoOpenConnections(pool);
        assertThat(onLoop(pool::connectionsOpened)).isEqualTo(4);
    }

    @Test
    void aRefusedConnectFailsEachExchangeOnce() throws Exception {
        EncodedRequests requests = requests("http://127.0.0.1:" + closedPort() + "/");
        ConnectionPool pool = pool(requests, 2, 5_000, null);
        List<Recorded> exchanges = executeAll(pool, requests, 5);
        for (Recorded exchange : exchanges) {
            assertThat(exchange.await()).isInstanceOf(Throwable.class);
        }
        awaitNoOpenConnections(pool);
    }

    @Test
    // The server is closed inside its try block on purpose: the close is what ends the body.
    @SuppressWarnings("try")
    void aResponseCutShortIsAFailureAndABodyEndedByTheCloseIsAResponse() throws Exception {
        Recorded cutShort;
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> c == 0
                ? null // closes without answering
                : bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 1, 5_000, null);
            assertThat(execute(pool, requests).await()).isInstanceOf(java.io.IOException.class);
            cutShort = execute(pool, requests);
            Await.until("the server wrote the partial response", () -> server.answered() == 1);
            // The server keeps the connection open after the partial body: the response is not over. Nothing
            // tells when the client has read those bytes, so this looks for a wrong ending for a while.
            assertThatThrownBy(() -> cutShort.outcome.get(300, TimeUnit.MILLISECONDS))
                    .isInstanceOf(TimeoutException.class);
        }
        assertThat(cutShort.await()).isInstanceOf(java.io.IOException.class); // the close cut it short
        try (ScriptedServer server =
                new ScriptedServer((c, r, head) -> bytes("HTTP/1.0 200 OK\r\n\r\nbody until the close"))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 1, 5_000, null);
            Recorded exchange = new Recorded(requests);
            onLoop(() -> {
                pool.execute(exchange);
                return null;
            });
            // The scripted server keeps the socket open after writing; closing it ends the body.
            Await.until("the server wrote its response", () -> server.answered() == 1);
            server.close();
            assertThat(exchange.await()).isEqualTo(200);
        }
    }

    @Test
    void anAbortedExchangeHearsNothingAndItsConnectionCloses() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> {
            answer.await(20, TimeUnit.SECONDS); // a late answer: it comes after the client gave up
            return bytes(OK);
        })) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 1, 5_000, null);
            Recorded inFlight = execute(pool, requests);
            Recorded queued = execute(pool, requests);
            Await.until(
                    "the first request reached the server",
                    () -> server.requests().size() == 1);
            onLoop(() -> {
                pool.abort(queued);
                pool.abort(inFlight);
                return null;
            });
            // A pool that still served the queued exchange would open a connection for it here.
            awaitNoOpenConnections(pool);
            answer.countDown();
            Await.until(
                    "the server wrote its late answer and saw the client's close",
                    () -> server.answered() == 1 && server.closedByClient() == 1);
            onLoop(() -> null); // whatever the close queued on the event loop has run
            assertThat(inFlight.outcome).isNotDone();
            assertThat(queued.outcome).isNotDone();
            assertThat(server.requests()).hasSize(1);
        }
    }

    @Test
    void idleConnectionsCloseAfterTheKeepAliveTimeout() throws Exception {
        try (ScriptedServer server = new ScriptedServer((c, r, head) -> bytes(OK))) {
            EncodedRequests requests = requests("http://127.0.0.1:" + server.port() + "/");
            ConnectionPool pool = pool(requests, 2, 300, null);
            Recorded first = new Recorded(requests);
            Recorded second = new Recorded(requests);
            onLoop(() -> {
                pool.execute(first);
                pool.execute(second);
                return null;
            });
            assertThat(first.await()).isEqualTo(200);
            assertThat(second.await()).isEqualTo(200);
            Await.until("the pool closed both idle connections", () -> server.closedByClient() == 2);
            awaitNoOpenConnections(pool);
        }
    }

    /** The server may see a close before the client's event loop has counted it: wait for the count. */
    private static void awaitNoOpenConnections(ConnectionPool pool) {
        Await.until("the pool has no connection open or opening", () -> {
            try {
                return onLoop(pool::openConnections) == 0;
            } catch (Exception e) {
                throw new AssertionError("the event loop did not answer", e);
            }
        });
    }

    @Test
    void httpsVerifiesTheCertificateAndTheHostName(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        Vertx vertx = Vertx.vertx();
        try {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                            .setSsl(true)
                            .setHost("127.0.0.1")
                            .setPort(0)
                            .setKeyCertOptions(new PfxOptions()
                                    .setPath(certificate.keyStore().toString())
                                    .setPassword(certificate.password())))
                    .requestHandler(request ->
                            request.response().putHeader("X-Instance", "tls").end("ok"));
            server.listen().await(10, TimeUnit.SECONDS);
            int port = server.actualPort();
            SslContext trusting = SslContextBuilder.forClient()
                    .trustManager(certificate.certificatePem().toFile())
                    .build();

            EncodedRequests byName = requests("https://localhost:" + port + "/");
            ConnectionPool pool = pool(byName, 1, 5_000, trusting);
            Recorded exchange = execute(pool, byName);
            assertThat(exchange.await()).isEqualTo(200);
            assertThat(exchange.selected).containsExactly("tls");
            assertThat(execute(pool, byName).await()).isEqualTo(200);
            assertThat(onLoop(pool::connectionsOpened)).isEqualTo(1);

            EncodedRequests byAddress = requests("https://127.0.0.1:" + port + "/"); // not a name the certificate holds
            assertThat(execute(pool(byAddress, 1, 5_000, trusting), byAddress).await())
                    .isInstanceOf(SSLHandshakeException.class);

            SslContext defaultTrust =
                    SslContextBuilder.forClient().build(); // the JVM's CAs never signed the test certificate
            assertThat(execute(pool(byName, 1, 5_000, defaultTrust), byName).await())
                    .isInstanceOf(SSLHandshakeException.class);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
