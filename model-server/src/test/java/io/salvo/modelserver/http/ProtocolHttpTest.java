package io.salvo.modelserver.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.modelserver.TestModels;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Open Inference Protocol over HTTP on the tiny encoder: happy paths, instance headers, and every client mistake. */
class ProtocolHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "tiny-bert-shape";
    private static final String INFER = "/v2/models/" + MODEL + "/infer";
    private static TestModels.RunningServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestModels.start(MODEL, Map.of("SALVO_MAX_BODY_BYTES", "65536", "SALVO_MAX_BATCH", "4"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static String tokens(String ids, String mask, String types, String shape) {
        return "{\"id\":\"req-1\",\"inputs\":["
                + "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + ids + "},"
                + "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + mask + "},"
                + "{\"name\":\"token_type_ids\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + types
                + "}]}";
    }

    @Test
    void healthAndMetadata() throws Exception {
        assertThat(TestModels.get(server.url("/v2/health/live")).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = TestModels.get(server.url("/v2/health/ready"));
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"ready\":true");
        assertThat(TestModels.get(server.url("/v2/models/" + MODEL + "/ready")).statusCode())
                .isEqualTo(200);

        JsonNode metadata =
                JSON.readTree(TestModels.get(server.url("/v2/models/" + MODEL)).body());
        assertThat(metadata.get("name").asText()).isEqualTo(MODEL);
        assertThat(metadata.get("platform").asText()).isEqualTo("onnxruntime_onnx");
        assertThat(metadata.get("inputs").toString())
                .contains("\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[-1,-1]");
        assertThat(metadata.get("outputs").toString())
                .contains("\"name\":\"last_hidden_state\",\"datatype\":\"FP32\",\"shape\":[-1,-1,64]");
        assertThat(TestModels.get(server.url("/v2")).body()).contains("salvo-model-server");
    }

    @Test
    void inferReturnsTensorsInTheRequestedOrderAndEchoesTheId() throws Exception {
        String body = tokens("[[101,7592,102],[101,2088,102]]", "[1,1,1,1,1,1]", "[0,0,0,0,0,0]", "[2,3]")
                .replace("]}", "],\"outputs\":[{\"name\":\"pooler_output\"}]}");
        HttpResponse<String> response = TestModels.post(server.url(INFER), body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode root = JSON.readTree(response.body());
        assertThat(root.get("id").asText()).isEqualTo("req-1");
        assertThat(root.get("outputs")).hasSize(1);
        JsonNode pooled = root.get("outputs").get(0);
        assertThat(pooled.get("name").asText()).isEqualTo("pooler_output");
        assertThat(pooled.get("datatype").asText()).isEqualTo("FP32");
        assertThat(pooled.get("shape").toString()).isEqualTo("[2,64]");
        assertThat(pooled.get("data")).hasSize(128);

        HttpResponse<String> all = TestModels.post(
                server.url("/v2/models/" + MODEL + "/versions/1/infer"),
                tokens("[101,7592,102]", "[1,1,1]", "[0,0,0]", "[1,3]"));
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(all.body()).get("outputs").get(0).get("shape").toString())
                .isEqualTo("[1,3,64]");
    }

    private static String withOutputs(String request, String outputs) {
        return request.substring(0, request.length() - 1) + ",\"outputs\":" + outputs + "}";
    }

    /** The JSON header of a body with binary tensor data, and a little-endian reader positioned after it. */
    private record BinaryBody(JsonNode header, ByteBuffer data) {
        static BinaryBody of(HttpResponse<byte[]> response) throws Exception {
            assertThat(response.statusCode())
                    .as(new String(response.body(), StandardCharsets.UTF_8))
                    .isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).contains("application/octet-stream");
            int headerLength = Integer.parseInt(response.headers()
                    .firstValue("Inference-Header-Content-Length")
                    .orElseThrow());
            JsonNode header = JSON.readTree(Arrays.copyOf(response.body(), headerLength));
            ByteBuffer data = ByteBuffer.wrap(response.body())
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .position(headerLength);
            return new BinaryBody(header, data);
        }
    }

    @Test
    void binaryOutputsCarryExactlyTheValuesJsonCarries() throws Exception {
        String request = tokens("[[101,7592,102],[101,2088,102]]", "[1,1,1,1,1,1]", "[0,0,0,0,0,0]", "[2,3]");
        JsonNode asJson = JSON.readTree(
                        TestModels.post(server.url(INFER), request).body())
                .get("outputs");

        // one output binary, the other JSON, in the requested order
        BinaryBody mixed = BinaryBody.of(
                TestModels.postForBytes(
                        server.url(INFER),
                        withOutputs(
                                request,
                                "[{\"name\":\"last_hidden_state\",\"parameters\":{\"binary_data\":true}},{\"name\":\"pooler_output\"}]")));
        JsonNode hidden = mixed.header().get("outputs").get(0);
        assertThat(hidden.get("name").asText()).isEqualTo("last_hidden_state");
        assertThat(hidden.get("shape").toString()).isEqualTo("[2,3,64]");
        assertThat(hidden.has("data")).isFalse();
        assertThat(hidden.get("parameters").get("binary_data_size").asLong()).isEqualTo(2 * 3 * 64 * 4);
        JsonNode expectedHidden =
                asJson.get(0).get("name").asText().equals("last_hidden_state") ? asJson.get(0) : asJson.get(1);
        for (int i = 0; i < 2 * 3 * 64; i++) {
            // shortest round-trip JSON text parses back to the very same float
            assertThat(mixed.data().getFloat())
                    .as("element %d", i)
                    .isEqualTo(expectedHidden.get("data").get(i).floatValue());
        }
        assertThat(mixed.data().remaining()).isZero();
        assertThat(mixed.header().get("outputs").get(1).get("data")).hasSize(128);

        // binary_data_output makes every output binary unless an output says otherwise
        BinaryBody all = BinaryBody.of(TestModels.postForBytes(
                server.url(INFER),
                request.substring(0, request.length() - 1) + ",\"parameters\":{\"binary_data_output\":true}}"));
        long sizes = 0;
        for (JsonNode output : all.header().get("outputs")) {
            sizes += output.get("parameters").get("binary_data_size").asLong();
        }
        assertThat(sizes)
                .isEqualTo((2 * 3 * 64 + 2 * 64) * 4L)
                .isEqualTo(all.data().remaining());
        BinaryBody overridden = BinaryBody.of(TestModels.postForBytes(
                server.url(INFER),
                request.substring(0, request.length() - 1)
                        + ",\"parameters\":{\"binary_data_output\":true},\"outputs\":[{\"name\":\"pooler_output\",\"parameters\":"
                        + "{\"binary_data\":false}},{\"name\":\"last_hidden_state\"}]}"));
        assertThat(overridden.header().get("outputs").get(0).get("data")).hasSize(128);
        assertThat(overridden
                        .header()
                        .get("outputs")
                        .get(1)
                        .get("parameters")
                        .get("binary_data_size")
                        .asLong())
                .isEqualTo(1536);
    }

    @Test
    void textInferReturnsTheEmbeddingAsBinaryData() throws Exception {
        String request = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"hello\"]}],"
                + "\"parameters\":{\"binary_data_output\":true}}";
        BinaryBody binary = BinaryBody.of(TestModels.postForBytes(server.url(INFER), request));
        assertThat(binary.header().get("outputs").get(0).get("name").asText()).isEqualTo("embedding");
        JsonNode predicted = JSON.readTree(
                        TestModels.post(server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[\"hello\"]}")
                                .body())
                .get("predictions")
                .get(0);
        for (int i = 0; i < 64; i++) {
            assertThat(binary.data().getFloat()).isEqualTo(predicted.get(i).floatValue());
        }
    }

    @Test
    void binaryParametersThatAreNotBooleansAndBinaryInputsAre400() throws Exception {
        String request = tokens("[101,7592,102]", "[1,1,1]", "[0,0,0]", "[1,3]");
        assertError(
                TestModels.post(
                        server.url(INFER),
                        withOutputs(
                                request, "[{\"name\":\"pooler_output\",\"parameters\":{\"binary_data\":\"yes\"}}]")),
                400,
                "output 'pooler_output' parameter 'binary_data' must be true or false");
        assertError(
                TestModels.post(server.url(INFER), request.substring(0, request.length() - 1) + ",\"parameters\":[]}"),
                400,
                "request 'parameters' must be an object");
        assertError(
                TestModels.post(
                        server.url(INFER),
                        request.replaceFirst(
                                "\"datatype\":\"INT64\"",
                                "\"datatype\":\"INT64\",\"parameters\":{\"binary_data_size\":24}")),
                400,
                "input 'input_ids' is sent as binary data");
    }

    @Test
    void everyResponseCarriesInstanceHeadersAndTheSequenceIncrements() throws Exception {
        String id = null;
        long previous = -1;
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response =
                    TestModels.post(server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[\"hi\"]}");
            assertThat(response.statusCode()).isEqualTo(200);
            var headers = response.headers();
            String instance = headers.firstValue("Salvo-Instance-Id").orElseThrow();
            if (id != null) {
                assertThat(instance).isEqualTo(id);
            }
            id = instance;
            assertThat(Long.parseLong(
                            headers.firstValue("Salvo-Instance-Started-At").orElseThrow()))
                    .isBetween(System.currentTimeMillis() - 3_600_000, System.currentTimeMillis());
            assertThat(Long.parseLong(headers.firstValue("Salvo-Model-Load-Ms").orElseThrow()))
                    .isGreaterThanOrEqualTo(0);
            assertThat(Long.parseLong(headers.firstValue("Salvo-Inference-Us").orElseThrow()))
                    .isGreaterThan(0);
            long sequence = Long.parseLong(
                    headers.firstValue("Salvo-Instance-Request-Seq").orElseThrow());
            if (previous >= 0) {
                assertThat(sequence).isGreaterThan(previous);
            }
            previous = sequence;
        }
        // error and health responses carry them too
        for (HttpResponse<String> other : List.of(
                TestModels.get(server.url("/v2/health/live")),
                TestModels.get(server.url("/nowhere")),
                TestModels.post(server.url(INFER), "{"))) {
            assertThat(other.headers().firstValue("Salvo-Instance-Id")).contains(id);
            assertThat(other.headers().firstValue("Salvo-Instance-Request-Seq")).isPresent();
            assertThat(other.headers().firstValue("Salvo-Inference-Us")).contains("0");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
        malformed JSON            | {"inputs": [                                                         | 400 | malformed JSON
        body not an object        | [1,2,3]                                                              | 400 | must be a JSON object
        no inputs                 | {"inputs": []}                                                       | 400 | 'inputs' must be a non-empty array
        unknown input             | {"inputs":[{"name":"pixels","datatype":"FP32","shape":[1],"data":[1]}]} | 400 | unknown input 'pixels'
        unsupported datatype      | {"inputs":[{"name":"input_ids","datatype":"FP16","shape":[1,1],"data":[1]}]} | 400 | datatype 'FP16'
        data does not match shape | {"inputs":[{"name":"input_ids","datatype":"INT64","shape":[1,3],"data":[1,2]}]} | 400 | 3 elements) but 2 data values
        negative dimension        | {"inputs":[{"name":"input_ids","datatype":"INT64","shape":[1,-3],"data":[1]}]} | 400 | shape[1] must be a non-negative integer
        """)
    void clientMistakesAreNamed400s(String scenario, String body, int status, String message) throws Exception {
        HttpResponse<String> response = TestModels.post(server.url(INFER), body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
    }

    @Test
    void wrongDatatypeShapeAndValuesAre400() throws Exception {
        String wrongType = tokens("[101.5,7592,102]", "[1,1,1]", "[0,0,0]", "[1,3]");
        assertError(TestModels.post(server.url(INFER), wrongType), 400, "is INT64 but data[0]");

        String floatTensor = tokens("[101,7592,102]", "[1,1,1]", "[0,0,0]", "[1,3]")
                .replaceFirst("\"datatype\":\"INT64\"", "\"datatype\":\"FP32\"");
        assertError(TestModels.post(server.url(INFER), floatTensor), 400, "input 'input_ids' must be INT64, got FP32");

        String wrongRank = tokens("[101,7592,102]", "[1,1,1]", "[0,0,0]", "[3]");
        assertError(TestModels.post(server.url(INFER), wrongRank), 400, "must have 2 dimensions");

        String mismatched = tokens("[101,7592,102]", "[1,1,1]", "[0,0,0]", "[1,3]")
                .replaceFirst("\\[1,3\\],\"data\":\\[1,1,1\\]", "[3,1],\"data\":[1,1,1]");
        assertError(TestModels.post(server.url(INFER), mismatched), 400, "must all have the same shape");

        String outOfVocabulary = tokens("[101,99999,102]", "[1,1,1]", "[0,0,0]", "[1,3]");
        assertError(TestModels.post(server.url(INFER), outOfVocabulary), 400, "data[1] = 99999 is outside [0, 30521]");

        String badMask = tokens("[101,7592,102]", "[1,2,1]", "[0,0,0]", "[1,3]");
        assertError(TestModels.post(server.url(INFER), badMask), 400, "'attention_mask' data[1] = 2");

        String missing =
                "{\"inputs\":[{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,1],\"data\":[101]}]}";
        assertError(TestModels.post(server.url(INFER), missing), 400, "missing input 'attention_mask'");

        String tooLong = tokens(
                "[" + "1,".repeat(512) + "1]", "[" + "1,".repeat(512) + "1]", "[" + "0,".repeat(512) + "0]", "[1,513]");
        assertError(
                TestModels.post(server.url(INFER), tooLong),
                400,
                "sequence length 513 exceeds the model's 512 positions");

        String unknownOutput =
                tokens("[101]", "[1]", "[0]", "[1,1]").replace("]}", "],\"outputs\":[{\"name\":\"logits\"}]}");
        assertError(TestModels.post(server.url(INFER), unknownOutput), 400, "unknown output 'logits'");

        assertError(
                TestModels.post(
                        server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}"),
                400,
                "batch size 5; this server accepts at most 4");
        assertError(
                TestModels.post(server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[42]}"),
                400,
                "inputs[0] must be a string");
    }

    @Test
    void emptyOversizedUnknownModelAndWrongMethod() throws Exception {
        assertError(TestModels.post(server.url(INFER), new byte[0]), 400, "empty request body");
        assertError(TestModels.post(server.url(INFER), new byte[70_000]), 413, "exceeds the limit of 65536 bytes");
        assertError(
                TestModels.post(server.url("/v2/models/bert-base-shape/infer"), "{}"),
                404,
                "model 'bert-base-shape' is not served by this instance");
        assertError(TestModels.get(server.url("/v2/models/" + MODEL + "/versions/7")), 404, "no version '7'");
        assertError(TestModels.get(server.url(INFER)), 405, "use POST");
        assertError(TestModels.get(server.url("/v3/whatever")), 404, "no such endpoint");
        // the server is still fine afterwards
        assertThat(TestModels.post(server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[\"ok\"]}")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        TestModels.post(server.url("/v2/models/" + MODEL + "/predict"), "{\"inputs\":[\"count me\"]}");
        HttpResponse<String> metrics = TestModels.get(server.url("/metrics"));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("salvo_requests_total{endpoint=\"predict\",model=\"tiny-bert-shape\",status=\"200\"}")
                .contains("salvo_inference_seconds_bucket")
                .contains("salvo_inflight_requests")
                .contains("salvo_model_load_milliseconds");
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).isEqualTo("application/json");
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains(message);
    }
}
