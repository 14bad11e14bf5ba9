package io.salvo.modelserver.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.salvo.modelserver.TestModels;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 through the HTTP server, checked for meaning and against langchain4j's own implementation. */
class MiniLmTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestModels.RunningServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestModels.start("minilm", Map.of("SALVO_MAX_CONCURRENT", "1", "SALVO_INTRA_OP_THREADS", "2"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static float[][] predict(String... texts) throws Exception {
        String body = JSON.writeValueAsString(Map.of("inputs", texts));
        HttpResponse<String> response = TestModels.post(server.url("/v2/models/minilm/predict"), body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode predictions = JSON.readTree(response.body()).get("predictions");
        float[][] out = new float[predictions.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = predictions.get(i);
            out[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) {
                out[i][j] = row.get(j).floatValue();
            }
        }
        return out;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void paraphrasesAreCloserThanUnrelatedSentences() throws Exception {
        float[][] e = predict(
                "A man is playing a guitar on stage.",
                "On stage, a guy plays the guitar.",
                "The quarterly tax report is due next Tuesday.");
        assertThat(e[0]).hasSize(384);
        double paraphrase = cosine(e[0], e[1]);
        double unrelated = cosine(e[0], e[2]);
        assertThat(paraphrase).isGreaterThan(0.7);
        assertThat(unrelated).isLessThan(0.3);
        assertThat(paraphrase - unrelated).isGreaterThan(0.4);
    }

    @Test
    void embeddingEqualsLangchain4jWithin1e4PerComponent() throws Exception {
        String sentence = "Salvo measures cold starts of model servers.";
        float[] reference =
                new AllMiniLmL6V2EmbeddingModel().embed(sentence).content().vector();
        // batched with a longer text, so padding and the attention mask are exercised too
        float[] served = predict(
                sentence, "A much longer companion sentence that forces the first one to be padded in the batch.")[0];

        assertThat(served).hasSize(reference.length);
        for (int i = 0; i < reference.length; i++) {
            assertThat(served[i]).as("component %d", i).isCloseTo(reference[i], within(1e-4f));
        }
    }

    @Test
    void textTooLongIsRejectedUnlessTruncationIsAsked() throws Exception {
        String longText = "word ".repeat(300);
        HttpResponse<String> rejected = TestModels.post(
                server.url("/v2/models/minilm/predict"),
                JSON.writeValueAsString(Map.of("inputs", new String[] {longText})));
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body())
                .contains("302 tokens")
                .contains("at most 256")
                .contains("truncate");

        HttpResponse<String> truncated = TestModels.post(
                server.url("/v2/models/minilm/predict"),
                JSON.writeValueAsString(
                        Map.of("inputs", new String[] {longText}, "parameters", Map.of("truncate", true))));
        assertThat(truncated.statusCode()).as(truncated.body()).isEqualTo(200);
        assertThat(JSON.readTree(truncated.body()).get("token_counts").get(0).asInt())
                .isEqualTo(256);
    }

    @Test
    void inferAcceptsTextAsBytesTensor() throws Exception {
        String body = "{\"inputs\":[{\"name\":\"text\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"hello\"]}]}";
        HttpResponse<String> response = TestModels.post(server.url("/v2/models/minilm/infer"), body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode output = JSON.readTree(response.body()).get("outputs").get(0);
        assertThat(output.get("name").asText()).isEqualTo("embedding");
        assertThat(output.get("shape").toString()).isEqualTo("[1,384]");
        float[] viaPredict = predict("hello")[0];
        assertThat(output.get("data").get(5).floatValue()).isCloseTo(viaPredict[5], within(1e-5f));
    }
}
