package io.salvo.modelserver.serving;

import io.salvo.modelserver.protocol.ProtocolException;
import io.salvo.modelserver.protocol.ResponseEncoder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds every response the core gives, stamped with the instance headers ({@link InstanceIdentity}: who answered,
 * how cold it was, the request's sequence number and its time in the model), so that no path can leave them out.
 *
 * <p>Thread-safe (the identity it reads is).
 */
final class Responses {

    static final String JSON = "application/json";

    private final InstanceIdentity identity;

    Responses(InstanceIdentity identity) {
        this.identity = identity;
    }

    /** A response to a request that is not an inference, carrying the inference count so far. */
    ApiResponse json(int status, byte[] body) {
        return respond(status, JSON, body, 0, identity.inferenceRequestsSoFar());
    }

    /** The exception's status and message as a JSON error, with {@code Retry-After} when it asks for one. */
    ApiResponse error(ProtocolException e, long inferenceMicros, long sequence) {
        ApiResponse plain = respond(e.status(), JSON, ResponseEncoder.error(e.getMessage()), inferenceMicros, sequence);
        if (e.retryAfterSeconds() <= 0) {
            return plain;
        }
        Map<String, String> headers = new LinkedHashMap<>(plain.headers());
        headers.put("Retry-After", Integer.toString(e.retryAfterSeconds()));
        return new ApiResponse(plain.status(), Map.copyOf(headers), plain.body());
    }

    ApiResponse respond(int status, String contentType, byte[] body, long inferenceMicros, long sequence) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", contentType);
        headers.put(InstanceIdentity.INSTANCE_ID, identity.id());
        headers.put(InstanceIdentity.STARTED_AT, Long.toString(identity.startedAtEpochMillis()));
        headers.put(InstanceIdentity.MODEL_LOAD_MS, Long.toString(identity.modelLoadMillis()));
        headers.put(InstanceIdentity.REQUEST_SEQ, Long.toString(sequence));
        headers.put(InstanceIdentity.INFERENCE_US, Long.toString(inferenceMicros));
        return new ApiResponse(status, headers, body);
    }
}
