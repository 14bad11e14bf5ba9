package io.salvo.modelserver.http;

import io.salvo.modelserver.serving.ApiRequest;
import io.salvo.modelserver.serving.ApiResponse;
import io.salvo.modelserver.serving.ServingCore;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The HTTP entry point: a Vert.x server that reads each request body (refusing bodies over the size limit with 413
 * before buffering them), hands the request to the {@link ServingCore} and writes its answer. Inference runs on the
 * core's own threads, never on the event loop.
 */
public final class HttpTransport implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HttpTransport.class.getName());

    private final Vertx vertx;
    private final HttpServer server;

    private HttpTransport(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Binds to the configured host and port and returns once the socket is listening. */
    public static HttpTransport start(ServingCore core)
            throws InterruptedException, ExecutionException, TimeoutException {
        // HTTP parsing is cheap next to inference; two event loops at most keep cores free for ONNX Runtime
        int eventLoops = Math.min(2, Runtime.getRuntime().availableProcessors());
        // Native epoll: with NIO, the inference thread's wake-up of the event loop (Selector.wakeup) holds the
        // selector's interrupt lock while the woken event loop already wants it, so every response cost a second
        // futex sleep and wake-up of the event loop (seen with strace and async-profiler's lock events).
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(eventLoops)
                .setWorkerPoolSize(1)
                .setPreferNativeTransport(true));
        if (!vertx.isNativeTransportEnabled()) {
            LOG.info(() -> "HTTP on Java NIO: native epoll transport unavailable ("
                    + vertx.unavailableNativeTransportCause() + ")");
        }
        HttpServerOptions options = new HttpServerOptions()
                .setHost(core.config().bindHost())
                .setPort(core.config().port())
                .setTcpNoDelay(true)
                .setCompressionSupported(false)
                // no WebSocket endpoints: without these the WebSocket extension handler leaves every request's and
                // response's path through the pipeline
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false);
        int maxBody = core.config().maxBodyBytes();
        HttpServer server = vertx.createHttpServer(options).requestHandler(request -> handle(core, maxBody, request));
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            vertx.close();
            throw e;
        }
        return new HttpTransport(vertx, server);
    }

    public int port() {
        return server.actualPort();
    }

    private static void handle(ServingCore core, int maxBody, HttpServerRequest request) {
        Context context = Vertx.currentContext();
        String declaredLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declaredLength != null) {
            long length;
            try {
                length = Long.parseLong(declaredLength.trim());
            } catch (NumberFormatException e) {
                refuse(core, request, 400, "Content-Length is not a number: " + declaredLength);
                return;
            }
            if (length > maxBody) {
                refuse(core, request, 413, tooLarge(length, maxBody));
                return;
            }
        }
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > maxBody) {
                refused[0] = true;
                refuse(core, request, 413, tooLarge(body.length() + chunk.length(), maxBody));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(failure -> {
            // the client went away or sent a broken request; there is nobody left to answer
        });
        request.endHandler(ignored -> {
            if (refused[0]) {
                return;
            }
            ApiRequest apiRequest = new ApiRequest(request.method().name(), request.path(), body.getBytes());
            answerWhenDone(context, request, core.handle(apiRequest));
        });
    }

    // The stage whenComplete returns is dropped: it could only carry a failure to reach the event loop, which
    // happens when the server is closing and nobody is left to answer.
    @SuppressWarnings("FutureReturnValueIgnored")
    private static void answerWhenDone(
            Context context, HttpServerRequest request, CompletableFuture<ApiResponse> answer) {
        answer.whenComplete((response, failure) -> context.runOnContext(v -> write(request.response(), response)));
    }

    private static String tooLarge(long size, int maxBody) {
        return "request body of " + size + " bytes or more exceeds the limit of " + maxBody
                + " bytes (SALVO_MAX_BODY_BYTES)";
    }

    private static void refuse(ServingCore core, HttpServerRequest request, int status, String message) {
        HttpServerResponse response = request.response();
        // the rest of the body would still be on the wire: close instead of reading it
        response.putHeader(HttpHeaders.CONNECTION, "close");
        write(response, core.transportError(status, message));
    }

    private static void write(HttpServerResponse response, ApiResponse answer) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(answer.status());
        for (Map.Entry<String, String> header : answer.headers().entrySet()) {
            response.putHeader(header.getKey(), header.getValue());
        }
        response.end(Buffer.buffer(answer.body()));
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // closing is best effort; the process is usually exiting
        }
    }
}
