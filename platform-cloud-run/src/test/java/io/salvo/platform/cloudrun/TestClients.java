package io.salvo.platform.cloudrun;

import com.google.cloud.run.v2.ServicesClient;
import io.salvo.platform.PlatformException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/** The driver's clients pointed at the in-process fakes. */
final class TestClients extends CloudRunClients {

    private final FakeCloudRun fake;
    private final CloudRunSettings settings;
    private final PlatformMetrics metrics;
    private final InvokerToken.Source tokens;
    private ServicesClient client;
    int closes;

    TestClients(FakeCloudRun fake, CloudRunSettings settings, PlatformMetrics metrics, InvokerToken.Source tokens) {
        super(settings);
        this.fake = fake;
        this.settings = settings;
        this.metrics = metrics;
        this.tokens = tokens;
    }

    @Override
    public synchronized ServicesClient services() {
        if (client == null) {
            try {
                client = fake.client(settings);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return client;
    }

    @Override
    public synchronized Optional<PlatformMetrics> metrics() {
        return Optional.ofNullable(metrics);
    }

    @Override
    public InvokerToken.Source idTokens() throws PlatformException {
        if (tokens == null) {
            throw new PlatformException("no token source in this test");
        }
        return tokens;
    }

    @Override
    public synchronized void close() {
        closes++;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
