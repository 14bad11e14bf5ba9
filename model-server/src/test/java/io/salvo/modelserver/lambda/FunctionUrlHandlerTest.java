package io.salvo.modelserver.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salvo.modelserver.TestModels;
import io.salvo.modelserver.serving.InstanceIdentity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A sample function-URL event gets the same body and headers from the Lambda handler as from the HTTP server. */
class FunctionUrlHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Values that legitimately differ between two requests to the same instance. */
    private static final Set<String> PER_REQUEST = Set.of(InstanceIdentity.REQUEST_SEQ, InstanceIdentity.INFERENCE_US);

    private static JsonNode invoke(FunctionUrlHandler handler, JsonNode event) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(JSON.writeValueAsBytes(event)), out, null);
        return JSON.readTree(out.toByteArray());
    }

    @Test
    void theInstanceLineNamesTheIdThatResponsesCarry() throws Exception {
        try (TestModels.RunningServer server = TestModels.start("tiny-bert-shape", Map.of())) {
            String line = FunctionUrlHandler.instanceLine(server.core());
            assertThat(line)
                    .isEqualTo("SALVO_INSTANCE instance="
                            + server.core().identity().id() + " model=tiny-bert-shape model_load_ms="
                            + server.core().identity().modelLoadMillis());
            assertThat(server.core().identity().modelLoadMillis()).isNotNegative();
        }
    }

    /**
     * SnapStart: the id made at init is in the snapshot every environment is restored from, so the first request of a
     * restored environment renews it (and the start time); later requests keep the new id. Without SnapStart the
     * init's id stays.
     */
    @Test
    void aSnapStartRestoreAnswersWithANewInstanceIdFromItsFirstRequestOn() throws Exception {
        try (TestModels.RunningServer server = TestModels.start("tiny-bert-shape", Map.of());
                InputStream sample = FunctionUrlHandlerTest.class.getResourceAsStream("/function-url-event.json")) {
            JsonNode event = JSON.readTree(sample);
            String snapshotId = server.core().identity().id();

            JsonNode onDemand = invoke(new FunctionUrlHandler(server.core(), "on-demand"), event);
            assertThat(onDemand.get("headers").get(InstanceIdentity.INSTANCE_ID).asText())
                    .isEqualTo(snapshotId);

            long restoredAt = System.currentTimeMillis();
            FunctionUrlHandler restored = new FunctionUrlHandler(server.core(), FunctionUrlHandler.SNAP_START);
            JsonNode first = invoke(restored, event).get("headers");
            JsonNode second = invoke(restored, event).get("headers");
            String renewed = first.get(InstanceIdentity.INSTANCE_ID).asText();
            assertThat(renewed).isNotEqualTo(snapshotId).isNotBlank();
            assertThat(second.get(InstanceIdentity.INSTANCE_ID).asText()).isEqualTo(renewed);
            assertThat(first.get(InstanceIdentity.STARTED_AT).asLong()).isGreaterThanOrEqualTo(restoredAt);
            assertThat(first.get(InstanceIdentity.REQUEST_SEQ).asLong())
                    .as("the restored environment's first inference request")
                    .isEqualTo(1);
            assertThat(FunctionUrlHandler.instanceLine(server.core())).contains("instance=" + renewed);
        }
    }

    @Test
    void sameBodyAndHeadersAsHttp() throws Exception {
        try (TestModels.RunningServer server = TestModels.start("tiny-bert-shape", Map.of());
                InputStream sample = FunctionUrlHandlerTest.class.getResourceAsStream("/function-url-event.json")) {
            FunctionUrlHandler handler = new FunctionUrlHandler(server.core());
            JsonNode event = JSON.readTree(sample);
            String requestBody = event.get("body").asText();

            HttpResponse<String> http = TestModels.post(server.url("/v2/models/tiny-bert-shape/predict"), requestBody);
            JsonNode lambda = invoke(handler, event);

            assertThat(lambda.get("statusCode").asInt())
                    .isEqualTo(http.statusCode())
                    .isEqualTo(200);
            assertThat(lambda.get("isBase64Encoded").asBoolean()).isFalse();
            assertThat(lambda.get("body").asText()).isEqualTo(http.body());
            JsonNode headers = lambda.get("headers");
            for (String name : new String[] {
                "Content-Type",
                InstanceIdentity.INSTANCE_ID,
                InstanceIdentity.STARTED_AT,
                InstanceIdentity.MODEL_LOAD_MS,
                InstanceIdentity.REQUEST_SEQ,
                InstanceIdentity.INFERENCE_US
            }) {
                assertThat(headers.has(name)).as(name).isTrue();
                if (!PER_REQUEST.contains(name)) {
                    assertThat(headers.get(name).asText())
                            .as(name)
                            .isEqualTo(http.headers().firstValue(name).orElseThrow());
                }
            }
            long httpSequence = Long.parseLong(
                    http.headers().firstValue(InstanceIdentity.REQUEST_SEQ).orElseThrow());
            assertThat(headers.get(InstanceIdentity.REQUEST_SEQ).asLong()).isEqualTo(httpSequence + 1);
        }
    }

    @Test
    void binaryTensorDataIsBase64EncodedWithTheSameBytesAsHttp() throws Exception {
        try (TestModels.RunningServer server = TestModels.start("tiny-bert-shape", Map.of())) {
            FunctionUrlHandler handler = new FunctionUrlHandler(server.core());
            String body = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"hello\"]}],"
                    + "\"parameters\":{\"binary_data_output\":true}}";
            ObjectNode event = (ObjectNode)
                    JSON.readTree(FunctionUrlHandlerTest.class.getResourceAsStream("/function-url-event.json"));
            event.put("rawPath", "/v2/models/tiny-bert-shape/infer");
            event.put("body", body);

            HttpResponse<byte[]> http = TestModels.postForBytes(server.url("/v2/models/tiny-bert-shape/infer"), body);
            JsonNode lambda = invoke(handler, event);

            assertThat(lambda.get("statusCode").asInt())
                    .isEqualTo(http.statusCode())
                    .isEqualTo(200);
            assertThat(lambda.get("isBase64Encoded").asBoolean()).isTrue();
            assertThat(java.util.Base64.getDecoder().decode(lambda.get("body").asText()))
                    .isEqualTo(http.body());
            for (String name : new String[] {"Content-Type", "Inference-Header-Content-Length"}) {
                assertThat(lambda.get("headers").get(name).asText())
                        .as(name)
                        .isEqualTo(http.headers().firstValue(name).orElseThrow());
            }
        }
    }

    @Test
    void base64BodiesErrorsAndHealthWork() throws Exception {
        try (TestModels.RunningServer server =
                TestModels.start("tiny-bert-shape", Map.of("SALVO_MAX_BODY_BYTES", "1000"))) {
            FunctionUrlHandler handler = new FunctionUrlHandler(server.core());
            ObjectNode event = (ObjectNode)
                    JSON.readTree(FunctionUrlHandlerTest.class.getResourceAsStream("/function-url-event.json"));
            byte[] plain = event.get("body").asText().getBytes(StandardCharsets.UTF_8);
            event.put("body", java.util.Base64.getEncoder().encodeToString(plain));
            event.put("isBase64Encoded", true);
            assertThat(invoke(handler, event).get("statusCode").asInt()).isEqualTo(200);

            event.put("body", "x".repeat(2000));
            event.put("isBase64Encoded", false);
            JsonNode tooLarge = invoke(handler, event);
            assertThat(tooLarge.get("statusCode").asInt()).isEqualTo(413);
            assertThat(tooLarge.get("headers").has(InstanceIdentity.INSTANCE_ID))
                    .isTrue();

            event.put("body", "{not json");
            assertThat(invoke(handler, event).get("statusCode").asInt()).isEqualTo(400);

            event.put("rawPath", "/v2/health/ready");
            ((ObjectNode) event.get("requestContext").get("http")).put("method", "GET");
            event.remove("body");
            JsonNode ready = invoke(handler, event);
            assertThat(ready.get("statusCode").asInt()).isEqualTo(200);
            assertThat(ready.get("body").asText()).contains("\"ready\":true");
        }
    }
}
