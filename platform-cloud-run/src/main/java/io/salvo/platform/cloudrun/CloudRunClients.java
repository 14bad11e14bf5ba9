package io.salvo.platform.cloudrun;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.longrunning.OperationTimedPollAlgorithm;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.monitoring.v3.MetricServiceClient;
import com.google.cloud.monitoring.v3.MetricServiceSettings;
import com.google.cloud.run.v2.ServicesClient;
import com.google.cloud.run.v2.ServicesSettings;
import io.salvo.platform.PlatformException;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The Google clients one driver uses, made on first use (so {@code validate} never touches credentials): the Cloud
 * Run v2 {@link ServicesClient}, Cloud Monitoring's client when {@code monitoring=true}, and ID tokens when
 * {@code invoker=id-token}. An {@code endpoint} on loopback means a local fake: plaintext and no credentials.
 */
public class CloudRunClients implements AutoCloseable {

    private final CloudRunSettings settings;
    private ServicesClient services;
    private PlatformMetrics metrics;

    public CloudRunClients(CloudRunSettings settings) {
        this.settings = settings;
    }

    /**
     * The polling of long-running operations: first after {@code operation-poll-ms}, then 1.5 times longer each
     * time up to 10 s, for at most {@code operation-timeout-ms}.
     */
    public static ServicesSettings.Builder withPolling(ServicesSettings.Builder builder, CloudRunSettings settings) {
        Duration first = settings.operationPoll();
        Duration max = first.compareTo(Duration.ofSeconds(10)) > 0 ? first : Duration.ofSeconds(10);
        RetrySettings polling = RetrySettings.newBuilder()
                .setInitialRetryDelayDuration(first)
                .setRetryDelayMultiplier(1.5)
                .setMaxRetryDelayDuration(max)
                .setInitialRpcTimeoutDuration(Duration.ZERO)
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(Duration.ZERO)
                .setTotalTimeoutDuration(settings.operationTimeout())
                .build();
        builder.createServiceOperationSettings().setPollingAlgorithm(OperationTimedPollAlgorithm.create(polling));
        builder.updateServiceOperationSettings().setPollingAlgorithm(OperationTimedPollAlgorithm.create(polling));
        builder.deleteServiceOperationSettings().setPollingAlgorithm(OperationTimedPollAlgorithm.create(polling));
        return builder;
    }

    /** The Cloud Run Admin API client. */
    public synchronized ServicesClient services() throws PlatformException {
        if (services == null) {
            try {
                ServicesSettings.Builder builder = ServicesSettings.newBuilder();
                if (settings.endpoint() != null) {
                    builder.setEndpoint(settings.endpoint());
                }
                if (isLoopback(settings.endpoint())) {
                    builder.setTransportChannelProvider(plaintext(settings.endpoint()))
                            .setCredentialsProvider(NoCredentialsProvider.create());
                }
                // otherwise the client's defaults: TLS, and Application Default Credentials with the scopes it needs
                services = ServicesClient.create(withPolling(builder, settings).build());
            } catch (IOException e) {
                throw CloudRunErrors.translate("connecting to the Cloud Run Admin API", e, settings);
            }
        }
        return services;
    }

    /** Cloud Monitoring, when the settings allow it. */
    public synchronized Optional<PlatformMetrics> metrics() throws PlatformException {
        if (!settings.monitoring()) {
            return Optional.empty();
        }
        if (metrics == null) {
            try {
                MetricServiceSettings.Builder builder = MetricServiceSettings.newBuilder();
                if (settings.endpoint() != null) {
                    builder.setEndpoint(settings.endpoint());
                }
                if (isLoopback(settings.endpoint())) {
                    builder.setTransportChannelProvider(plaintext(settings.endpoint()))
                            .setCredentialsProvider(NoCredentialsProvider.create());
                }
                metrics = new CloudMonitoringMetrics(MetricServiceClient.create(builder.build()), settings);
            } catch (IOException e) {
                throw CloudRunErrors.translate("connecting to Cloud Monitoring", e, settings);
            }
        }
        return Optional.of(metrics);
    }

    /** ID tokens for {@code invoker=id-token}. */
    public InvokerToken.Source idTokens() throws PlatformException {
        try {
            return GoogleIdTokens.fromApplicationDefault();
        } catch (IOException e) {
            throw CloudRunErrors.missingCredentials(e);
        } catch (IllegalStateException e) {
            throw new CloudRunErrors.CloudRunException(CloudRunErrors.Kind.CREDENTIALS, e.getMessage());
        }
    }

    /** A plaintext channel to a fake on loopback. */
    private static TransportChannelProvider plaintext(String endpoint) {
        return InstantiatingGrpcChannelProvider.newBuilder()
                .setEndpoint(endpoint)
                .setChannelConfigurator(builder -> builder.usePlaintext())
                .build();
    }

    static boolean isLoopback(String endpoint) {
        if (endpoint == null) {
            return false;
        }
        String host = endpoint.contains(":") ? endpoint.substring(0, endpoint.lastIndexOf(':')) : endpoint;
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
    }

    @Override
    public synchronized void close() {
        if (services != null) {
            services.close();
            services = null;
        }
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
    }
}
