package io.salvo.bench.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The exact requests the model-server benchmarks send. The published figures were measured with these bytes; a change
 * here makes new figures incomparable with them, so it must be deliberate.
 */
class SentenceRequestsTest {

    private static final String HEAD = "HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    private static final SentenceRequests THREE_TOKENS = new SentenceRequests(new long[] {101, 2054, 102});

    @Test
    void predictSendsTheSentence() {
        assertThat(text(SentenceRequests.predict("minilm")))
                .isEqualTo("POST /v2/models/minilm/predict " + HEAD
                        + "Content-Length: 99\r\n\r\n"
                        + "{\"inputs\":[\"Salvo measures how long a serverless model server takes to answer its first "
                        + "request.\"]}");
    }

    @Test
    void inferSendsTheTokenIdsWithAFullMask() {
        String body = "{\"inputs\":["
                + "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[101,2054,102]},"
                + "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[1,1,1]}]}";
        assertThat(body).hasSize(162);
        assertThat(text(THREE_TOKENS.infer("distilbert-shape", false)))
                .isEqualTo("POST /v2/models/distilbert-shape/infer " + HEAD + "Content-Length: 162\r\n\r\n" + body);
    }

    @Test
    void inferAddsZeroTokenTypesForModelsThatTakeThem() {
        assertThat(THREE_TOKENS.inferJson(true))
                .isEqualTo("{\"inputs\":["
                        + "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[101,2054,102]},"
                        + "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[1,1,1]},"
                        + "{\"name\":\"token_type_ids\",\"datatype\":\"INT64\",\"shape\":[1,3],\"data\":[0,0,0]}]}");
    }

    @Test
    void binaryOutputAsksForItInTheParameters() {
        String text = text(THREE_TOKENS.inferBinaryOutput("m", false));
        assertThat(text)
                .startsWith("POST /v2/models/m/infer " + HEAD + "Content-Length: 203\r\n\r\n")
                .endsWith("\"data\":[1,1,1]}],\"parameters\":{\"binary_data_output\":true}}");
    }

    private static String text(byte[] request) {
        return new String(request, StandardCharsets.UTF_8);
    }
}
