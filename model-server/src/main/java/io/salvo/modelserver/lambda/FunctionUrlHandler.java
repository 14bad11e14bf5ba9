package io.salvo.modelserver.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.modelserver.LogFormat;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.serving.ApiRequest;
import io.salvo.modelserver.serving.ApiResponse;
import io.salvo.modelserver.serving.ModelSource;
import io.salvo.modelserver.serving.ServingCore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * AWS Lambda entry point for function URLs and API Gateway HTTP APIs (payload format 2.0): the event's method, path
 * and body go to the same {@link ServingCore} the HTTP server uses, and its status, headers and body come back as
 * the 2.0 response object. Handler string: {@code io.salvo.modelserver.lambda.FunctionUrlHandler::handleRequest}.
 *
 * <p>The model loads while Lambda constructs the handler, i.e. in the init phase, so the platform's Init Duration
 * and the {@code Salvo-Model-Load-Ms} header describe the same cold start. At the end of init the handler writes
 * {@link #instanceLine} to standard output, which Lambda puts in the execution environment's own log stream: the
 * aws-lambda driver matches that stream's REPORT lines (Init Duration) to the {@code Salvo-Instance-Id} responses
 * carry by this id, not by time.
 *
 * <p>Under SnapStart the init phase runs once, before the snapshot, and every environment restored from it starts with
 * the same memory, instance id included. Lambda sets {@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start} there, and the
 * handler renews the id at the first request after the restore (and writes the instance line again, to the restored
 * environment's log stream), so each restored environment answers with an id of its own and a forced cold start is
 * verified by new ids as on-demand ones are.
 */
public final class FunctionUrlHandler implements RequestStreamHandler {

    static {
        // The Lambda runtime does not run ModelServerMain; without this each record would take two log events
        LogFormat.install();
    }

    private static final Logger LOG = Logger.getLogger(FunctionUrlHandler.class.getName());
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static ServingCore shared;

    /** Lambda's environment variable naming how the environment was initialised. */
    static final String INITIALIZATION_TYPE_ENV = "AWS_LAMBDA_INITIALIZATION_TYPE";

    /** Its value for an environment restored from a SnapStart snapshot. */
    static final String SNAP_START = "snap-start";

    private final ServingCore core;
    private final boolean restoredFromSnapshot;
    /**
     * False in the snapshot SnapStart takes after init, so false again in every environment restored from it: the first
     * request of each restored environment is the one that renews the instance id.
     */
    private final AtomicBoolean servedSinceStart = new AtomicBoolean();

    /** Used by the Lambda runtime: one core per execution environment, configured from its environment variables. */
    public FunctionUrlHandler() {
        this(sharedCore(), System.getenv(INITIALIZATION_TYPE_ENV));
    }

    /** Serves requests with {@code core}, which must already be loading or loaded. */
    public FunctionUrlHandler(ServingCore core) {
        this(core, null);
    }

    /**
     * @param initializationType Lambda's {@code AWS_LAMBDA_INITIALIZATION_TYPE} ({@code on-demand},
     *                           {@code provisioned-concurrency} or {@code snap-start}); null outside Lambda
     */
    FunctionUrlHandler(ServingCore core, String initializationType) {
        this.core = core;
        this.restoredFromSnapshot = SNAP_START.equals(initializationType);
    }

    private static synchronized ServingCore sharedCore() {
        if (shared == null) {
            ServerConfig config = ServerConfig.fromEnvironment();
            LOG.info(() -> "effective configuration " + config.describe());
            ServingCore core = new ServingCore(config, ModelSource.fromConfig(config));
            // on the core's own loader thread (8 MB stack, which ONNX Runtime's set-up needs), waiting for it here
            core.startLoading();
            try {
                core.loaded().join();
            } catch (RuntimeException e) {
                throw new IllegalStateException(
                        "model " + config.modelName() + " failed to load; see the log above", e);
            }
            shared = core;
            // standard output, one line: Lambda writes it to this execution environment's log stream
            System.out.println(instanceLine(core));
            System.out.flush();
        }
        return shared;
    }

    /**
     * {@code SALVO_INSTANCE instance=<id> model=<name> model_load_ms=<n>}: who this execution environment is, as the
     * aws-lambda driver reads it from CloudWatch Logs.
     */
    public static String instanceLine(ServingCore core) {
        return "SALVO_INSTANCE instance=" + core.identity().id() + " model="
                + core.config().modelName() + " model_load_ms="
                + core.identity().modelLoadMillis();
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        if (restoredFromSnapshot && servedSinceStart.compareAndSet(false, true)) {
            // SnapStart made the id before the snapshot, so every restored environment would share it: a new one per
            // environment, written to this environment's log stream for the driver to match its REPORT lines by.
            core.identity().renewAfterRestore(System.currentTimeMillis());
            System.out.println(instanceLine(core) + " restored=true");
            System.out.flush();
        }
        JsonNode event = MAPPER.readTree(input);
        ApiResponse response;
        if (event == null || !event.isObject()) {
            response = core.transportError(400, "the Lambda event is not a JSON object");
        } else {
            response = answer(event);
        }
        writeResponse(response, output);
    }

    private ApiResponse answer(JsonNode event) {
        String method = event.path("requestContext").path("http").path("method").asText("");
        String path = event.path("rawPath")
                .asText(event.path("requestContext").path("http").path("path").asText(""));
        if (method.isEmpty() || path.isEmpty()) {
            return core.transportError(
                    400,
                    "not a function URL / HTTP API 2.0 event: requestContext.http.method and rawPath are required");
        }
        byte[] body;
        JsonNode bodyNode = event.get("body");
        if (bodyNode == null || bodyNode.isNull()) {
            body = new byte[0];
        } else if (event.path("isBase64Encoded").asBoolean(false)) {
            try {
                body = Base64.getDecoder().decode(bodyNode.asText());
            } catch (IllegalArgumentException e) {
                return core.transportError(400, "body is marked base64 but is not valid base64");
            }
        } else {
            body = bodyNode.asText().getBytes(StandardCharsets.UTF_8);
        }
        int maxBody = core.config().maxBodyBytes();
        if (body.length > maxBody) {
            return core.transportError(
                    413,
                    "request body of " + body.length + " bytes or more exceeds the limit of " + maxBody
                            + " bytes (SALVO_MAX_BODY_BYTES)");
        }
        try {
            return core.handle(new ApiRequest(method.toUpperCase(Locale.ROOT), path, body))
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return core.transportError(503, "interrupted");
        } catch (ExecutionException e) {
            // handle() never fails its future; this is a bug, so report it as the server's fault
            return core.transportError(500, "internal error: " + e.getCause());
        }
    }

    private static void writeResponse(ApiResponse response, OutputStream output) throws IOException {
        try (JsonGenerator json = MAPPER.getFactory().createGenerator(output)) {
            json.writeStartObject();
            json.writeNumberField("statusCode", response.status());
            json.writeObjectFieldStart("headers");
            for (Map.Entry<String, String> header : response.headers().entrySet()) {
                json.writeStringField(header.getKey(), header.getValue());
            }
            json.writeEndObject();
            // function URLs and HTTP APIs carry raw bytes only base64-encoded; the platform decodes them for the client
            boolean binary = response.binaryBody();
            json.writeStringField(
                    "body", binary ? Base64.getEncoder().encodeToString(response.body()) : response.bodyText());
            json.writeBooleanField("isBase64Encoded", binary);
            json.writeEndObject();
        }
    }
}
