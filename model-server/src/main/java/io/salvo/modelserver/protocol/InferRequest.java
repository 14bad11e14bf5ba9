package io.salvo.modelserver.protocol;

import io.salvo.modelserver.inference.TensorData;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A decoded and validated {@code /infer} request.
 *
 * @param id               the client's request id, echoed in the response
 * @param inputs           tensors matching the model's inputs, or a single BYTES tensor named {@code "text"} for text
 *                         encoders
 * @param requestedOutputs output names to return; empty means all
 * @param texts            the texts when the request used the BYTES input {@code "text"}, tokenized ids per text
 * @param binaryByDefault  the request's {@code parameters.binary_data_output}: outputs not named otherwise come back
 *                         as binary data (binary tensor data extension)
 * @param binaryByOutput   each requested output's own {@code parameters.binary_data}, which wins over the default
 */
public record InferRequest(
        Optional<String> id,
        List<TensorData> inputs,
        Set<String> requestedOutputs,
        Optional<List<long[]>> texts,
        boolean binaryByDefault,
        Map<String, Boolean> binaryByOutput) {

    public InferRequest {
        binaryByOutput = Map.copyOf(binaryByOutput);
    }

    /** A request with every output as JSON. */
    public InferRequest(
            Optional<String> id, List<TensorData> inputs, Set<String> requestedOutputs, Optional<List<long[]>> texts) {
        this(id, inputs, requestedOutputs, texts, false, Map.of());
    }

    /** Whether output {@code name} goes into the response as raw bytes after the JSON header. */
    public boolean binary(String name) {
        return binaryByOutput.getOrDefault(name, binaryByDefault);
    }
}
