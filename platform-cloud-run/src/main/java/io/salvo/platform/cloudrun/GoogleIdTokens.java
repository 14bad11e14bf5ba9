package io.salvo.platform.cloudrun;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdToken;
import com.google.auth.oauth2.IdTokenProvider;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * ID tokens from Application Default Credentials (google-auth-library): a service account key, the metadata server,
 * or user credentials from {@code gcloud auth application-default login} all implement {@link IdTokenProvider}.
 */
final class GoogleIdTokens implements InvokerToken.Source {

    private final IdTokenProvider provider;

    private GoogleIdTokens(IdTokenProvider provider) {
        this.provider = provider;
    }

    /**
     * @throws IOException when no Application Default Credentials exist
     * @throws IllegalStateException when they cannot mint ID tokens (the message says what to use instead)
     */
    static GoogleIdTokens fromApplicationDefault() throws IOException {
        GoogleCredentials credentials = GoogleCredentials.getApplicationDefault();
        if (!(credentials instanceof IdTokenProvider provider)) {
            throw new IllegalStateException("cloud-run: the Application Default Credentials ("
                    + credentials.getClass().getSimpleName() + ") cannot mint ID tokens for invoker=id-token: use a"
                    + " service account (GOOGLE_APPLICATION_CREDENTIALS) or `gcloud auth application-default login`,"
                    + " or set invoker=public");
        }
        return new GoogleIdTokens(provider);
    }

    @Override
    public InvokerToken.Token fetch(String audience) throws IOException {
        IdToken token = provider.idTokenWithAudience(audience, List.of());
        Instant expires = token.getExpirationTime() == null
                ? Instant.now().plusSeconds(3600)
                : token.getExpirationTime().toInstant();
        return new InvokerToken.Token(token.getTokenValue(), expires);
    }
}
