package io.salvo.coordinator.security;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.salvo.core.security.BearerTokenCredentials;
import io.salvo.core.security.ClusterToken;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Admits a call only with {@code authorization: Bearer <cluster token>}. Refusals are counted and
 * logged with the peer and method, never with what the peer sent.
 */
public final class TokenAuthInterceptor implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger(TokenAuthInterceptor.class.getName());

    private final ClusterToken token;
    private final AtomicLong refused = new AtomicLong();

    public TokenAuthInterceptor(ClusterToken token) {
        this.token = token;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String header = headers.get(BearerTokenCredentials.AUTHORIZATION);
        String problem = null;
        if (header == null) {
            problem = "missing cluster token (pass --token-file or set SALVO_TOKEN)";
        } else if (!header.startsWith(BearerTokenCredentials.SCHEME)
                || !token.matches(header.substring(BearerTokenCredentials.SCHEME.length()))) {
            problem = "wrong cluster token";
        }
        if (problem == null) {
            return next.startCall(call, headers);
        }
        refused.incrementAndGet();
        String reason = problem;
        LOG.warning(() -> "refused " + call.getMethodDescriptor().getFullMethodName() + " from "
                + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) + ": " + reason);
        call.close(Status.UNAUTHENTICATED.withDescription(reason), new Metadata());
        return new ServerCall.Listener<>() {};
    }

    public long refused() {
        return refused.get();
    }
}
