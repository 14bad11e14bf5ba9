package io.salvo.platform.lambda;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A function's answer to a function URL event: the 2.0 response's status, headers and body, or, for a payload
 * that is not such a response, 200 with the payload as the body (as function URLs treat it).
 */
public final class InvokeResult {
    private final int status;
    private final Map<String, String> headers;
    private final byte[] body;

    InvokeResult(int status, Map<String, String> headers, byte[] body) {
        this.status = status;
        this.headers = Map.copyOf(headers);
        this.body = body.clone();
    }

    public int status() {
        return status;
    }

    /** Response headers as the function returned them (e.g. {@code Salvo-Instance-Id}). */
    public Map<String, String> headers() {
        return headers;
    }

    public byte[] body() {
        return body.clone();
    }

    /** A function URL (payload format 2.0) request event, the body base64-encoded. */
    static String event(String method, String path, byte[] body) {
        return new JsonObject()
                .put("version", "2.0")
                .put("rawPath", path)
                .put("rawQueryString", "")
                .put("headers", new JsonObject().put("content-type", "application/json"))
                .put(
                        "requestContext",
                        new JsonObject()
                                .put(
                                        "http",
                                        new JsonObject().put("method", method).put("path", path)))
                .put("body", Base64.getEncoder().encodeToString(body))
                .put("isBase64Encoded", true)
                .encode();
    }

    /** Reads a function's answer to such an event. */
    static InvokeResult of(String payload) {
        try {
            JsonObject json = new JsonObject(payload);
            if (json.containsKey("statusCode")) {
                Map<String, String> headers = new LinkedHashMap<>();
                JsonObject h = json.getJsonObject("headers", new JsonObject());
                for (String key : h.fieldNames()) {
                    headers.put(key, String.valueOf(h.getValue(key)));
                }
                String body = json.getString("body", "");
                byte[] bytes = json.getBoolean("isBase64Encoded", false)
                        ? Base64.getDecoder().decode(body)
                        : body.getBytes(StandardCharsets.UTF_8);
                return new InvokeResult(json.getInteger("statusCode"), headers, bytes);
            }
        } catch (DecodeException | ClassCastException | IllegalArgumentException e) {
            // not a 2.0 response: the payload is the body
        }
        return new InvokeResult(200, Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }
}
