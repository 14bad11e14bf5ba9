package io.salvo.modelserver.serving;

/**
 * A request as every transport (HTTP server, Lambda function URL) hands it to the {@link ServingCore}.
 *
 * @param method HTTP method, upper case
 * @param path   URL path without the query string
 * @param body   request body, empty when there is none
 */
// A body is handed from one transport to the core and never compared, hashed or copied, so an array it is.
@SuppressWarnings("ArrayRecordComponent")
public record ApiRequest(String method, String path, byte[] body) {}
