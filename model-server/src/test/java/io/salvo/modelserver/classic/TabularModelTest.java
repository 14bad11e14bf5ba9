package io.salvo.modelserver.classic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.modelserver.TestModels;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Tribuo logistic regression: trained well, exported by Tribuo, served like any other model. */
class TabularModelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void trainsAccuratelyAndExportsOnnx(@TempDir Path directory) throws Exception {
        TabularClassifierTrainer.TrainingSummary summary =
                TabularClassifierTrainer.trainAndExport(42L, directory.resolve("model.onnx"));
        assertThat(summary.heldOutAccuracy()).isGreaterThan(0.85);
        assertThat(summary.labelsInOutputOrder()).containsExactlyInAnyOrder("class-0", "class-1", "class-2");
        assertThat(directory.resolve("model.onnx")).isNotEmptyFile();
    }

    @Test
    void servesProbabilitiesThroughPredictAndInfer() throws Exception {
        try (TestModels.RunningServer server = TestModels.start("tabular-logreg", Map.of())) {
            JsonNode metadata = JSON.readTree(
                    TestModels.get(server.url("/v2/models/tabular-logreg")).body());
            assertThat(metadata.get("inputs").get(0).get("datatype").asText()).isEqualTo("FP32");
            assertThat(metadata.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,8]");

            HttpResponse<String> predicted = TestModels.post(
                    server.url("/v2/models/tabular-logreg/predict"),
                    "{\"inputs\":[[0,0,0,0,0,0,0,0],[1,-1,1,-1,1,-1,1,-1]]}");
            assertThat(predicted.statusCode()).as(predicted.body()).isEqualTo(200);
            JsonNode predictions = JSON.readTree(predicted.body()).get("predictions");
            assertThat(predictions).hasSize(2);
            double sum = 0;
            for (JsonNode p : predictions.get(0).get("probabilities")) {
                sum += p.asDouble();
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(predictions.get(0).get("label").asText()).startsWith("class-");

            String inputName = metadata.get("inputs").get(0).get("name").asText();
            HttpResponse<String> inferred = TestModels.post(
                    server.url("/v2/models/tabular-logreg/infer"),
                    "{\"inputs\":[{\"name\":\"" + inputName
                            + "\",\"datatype\":\"FP32\",\"shape\":[1,8],\"data\":[0,0,0,0,0,0,0,0]}]}");
            assertThat(inferred.statusCode()).as(inferred.body()).isEqualTo(200);
            assertThat(JSON.readTree(inferred.body())
                            .get("outputs")
                            .get(0)
                            .get("shape")
                            .toString())
                    .isEqualTo("[1,3]");

            HttpResponse<String> wrongWidth =
                    TestModels.post(server.url("/v2/models/tabular-logreg/predict"), "{\"inputs\":[[1,2,3]]}");
            assertThat(wrongWidth.statusCode()).isEqualTo(400);
            assertThat(wrongWidth.body()).contains("must be an array of 8 numbers");
            HttpResponse<String> wrongFixedDim = TestModels.post(
                    server.url("/v2/models/tabular-logreg/infer"),
                    "{\"inputs\":[{\"name\":\"" + inputName
                            + "\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[0,0,0]}]}");
            assertThat(wrongFixedDim.statusCode()).isEqualTo(400);
            assertThat(wrongFixedDim.body()).contains("dimension 1 must be 8");
        }
    }
}
