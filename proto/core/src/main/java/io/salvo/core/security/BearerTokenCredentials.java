package io.salvo.core.security;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** Attaches {@code authorization: Bearer <cluster token>} to every call. */
public final class BearerTokenCredentials extends CallCredentials {

    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    public static final String SCHEME = "Bearer ";

    private final ClusterToken token;

    public BearerTokenCredentials(ClusterToken token) {
        this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, SCHEME + token.reveal());
        applier.apply(headers);
    }
}
