package io.salvo.modelserver.serving;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A response ready for any transport: status, headers (the Salvo instance headers, Content-Type and, for 503,
 * Retry-After) and body bytes.
 */
// A body is handed from the core to one transport and never compared, hashed or copied, so an array it is.
@SuppressWarnings("ArrayRecordComponent")
public record ApiResponse(int status, Map<String, String> headers, byte[] body) {

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Whether the body holds raw bytes (binary tensor data) rather than text. */
    public boolean binaryBody() {
        return ServingCore.BINARY.equals(headers.get("Content-Type"));
    }
}
