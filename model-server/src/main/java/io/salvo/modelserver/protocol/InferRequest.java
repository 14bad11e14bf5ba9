package io.salvo.modelserver.protocol;

import io.salvo.modelserver.inference.TensorData;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A decoded and validated {@code /infer} request.
 *
 * @param id               the client's request id, echoed in the response
 * @param inputs           tensors matching the model's inputs, or a single BYTES {@code text} tensor for text encoders
 * @param requestedOutputs output names to return; empty means all
 * @param texts            the texts when the request used the BYTES {@code text} input, tokenized ids per text
 */
public record InferRequest(Optional<String> id, List<TensorData> inputs, Set<String> requestedOutputs,
        Optional<List<long[]>> texts) {}
