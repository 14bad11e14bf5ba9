package io.salvo.platform.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.monitoring.v3.MetricServiceClient;
import com.google.cloud.monitoring.v3.MetricServiceSettings;
import com.google.monitoring.v3.Aggregation;
import com.google.monitoring.v3.ListTimeSeriesRequest;
import com.google.monitoring.v3.ListTimeSeriesResponse;
import com.google.monitoring.v3.Point;
import com.google.monitoring.v3.TimeInterval;
import com.google.monitoring.v3.TimeSeries;
import com.google.monitoring.v3.TypedValue;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link CloudMonitoringMetrics} through the real Cloud Monitoring v3 client, against {@link FakeMonitoring}. */
class CloudMonitoringMetricsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final FakeMonitoring monitoring = new FakeMonitoring();
    private final List<ListTimeSeriesRequest> requests = monitoring.requests;
    private Server server;
    private ManagedChannel channel;
    private CloudMonitoringMetrics metrics;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(monitoring.definition())
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        MetricServiceClient client = MetricServiceClient.create(MetricServiceSettings.newBuilder()
                .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        CloudRunSettings settings = CloudRunSettings.parse(
                Map.of("project", "proj-1", "region", "europe-west1", "image", "img", "monitoring", "true"), Map.of());
        metrics = new CloudMonitoringMetrics(client, settings);
    }

    @AfterEach
    void stop() throws Exception {
        metrics.close();
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static Point point(Instant end, long value) {
        return Point.newBuilder()
                .setInterval(TimeInterval.newBuilder().setEndTime(CloudMonitoringMetrics.timestamp(end)))
                .setValue(TypedValue.newBuilder().setInt64Value(value))
                .build();
    }

    @Test
    void instanceCountsAreTheMaximumPerMinuteSummedOverRevisions() throws Exception {
        // Cloud Monitoring lists points newest first; two series (two revisions) add up
        monitoring.answer = request -> ListTimeSeriesResponse.newBuilder()
                .addTimeSeries(TimeSeries.newBuilder()
                        .addPoints(point(T0.plusSeconds(180), 1))
                        .addPoints(point(T0.plusSeconds(120), 2))
                        .addPoints(point(T0.plusSeconds(60), 0)))
                .addTimeSeries(TimeSeries.newBuilder().addPoints(point(T0.plusSeconds(180), 1)))
                .build();

        List<InstanceCountSample> samples = metrics.instanceCounts("salvo-bench", T0, T0.plusSeconds(180));

        assertThat(samples)
                .containsExactly(
                        new InstanceCountSample(T0, 0, 0),
                        new InstanceCountSample(T0.plusSeconds(60), 0, 2),
                        new InstanceCountSample(T0.plusSeconds(120), 0, 2));
        ListTimeSeriesRequest request = requests.get(0);
        assertThat(request.getName()).isEqualTo("projects/proj-1");
        assertThat(request.getFilter())
                .isEqualTo("metric.type = \"run.googleapis.com/container/instance_count\""
                        + " AND resource.type = \"cloud_run_revision\""
                        + " AND resource.labels.service_name = \"salvo-bench\""
                        + " AND resource.labels.location = \"europe-west1\"");
        assertThat(CloudMonitoringMetrics.instant(request.getInterval().getStartTime()))
                .isEqualTo(T0);
        assertThat(CloudMonitoringMetrics.instant(request.getInterval().getEndTime()))
                .isEqualTo(T0.plusSeconds(180));
        assertThat(request.getAggregation().getAlignmentPeriod().getSeconds()).isEqualTo(60);
        assertThat(request.getAggregation().getPerSeriesAligner()).isEqualTo(Aggregation.Aligner.ALIGN_MAX);
        assertThat(request.getAggregation().getCrossSeriesReducer()).isEqualTo(Aggregation.Reducer.REDUCE_SUM);
    }

    @Test
    void requestCountIsTheSumOfTheDeltas() throws Exception {
        monitoring.answer = request -> ListTimeSeriesResponse.newBuilder()
                .addTimeSeries(TimeSeries.newBuilder()
                        .addPoints(point(T0.plusSeconds(120), 250))
                        .addPoints(point(T0.plusSeconds(60), 100)))
                .build();
        assertThat(metrics.requestCount("salvo-bench", T0, T0.plusSeconds(120))).hasValue(350);
        assertThat(requests.get(0).getFilter()).startsWith("metric.type = \"run.googleapis.com/request_count\"");
        assertThat(requests.get(0).getAggregation().getPerSeriesAligner()).isEqualTo(Aggregation.Aligner.ALIGN_SUM);

        monitoring.answer = request -> ListTimeSeriesResponse.getDefaultInstance();
        assertThat(metrics.requestCount("salvo-bench", T0, T0.plusSeconds(120))).isEmpty();
    }

    @Test
    void billableInstanceTimeIsTheSumOfItsDeltas() throws Exception {
        monitoring.answer = request -> ListTimeSeriesResponse.newBuilder()
                .addTimeSeries(TimeSeries.newBuilder()
                        .addPoints(Point.newBuilder()
                                .setInterval(TimeInterval.newBuilder()
                                        .setEndTime(CloudMonitoringMetrics.timestamp(T0.plusSeconds(120))))
                                .setValue(TypedValue.newBuilder().setDoubleValue(41.5)))
                        .addPoints(Point.newBuilder()
                                .setInterval(TimeInterval.newBuilder()
                                        .setEndTime(CloudMonitoringMetrics.timestamp(T0.plusSeconds(60))))
                                .setValue(TypedValue.newBuilder().setDoubleValue(12.25))))
                .build();
        assertThat(metrics.billableInstanceSeconds("salvo-bench", T0, T0.plusSeconds(120)))
                .hasValue(53.75);
        assertThat(requests.get(0).getFilter())
                .startsWith("metric.type = \"run.googleapis.com/container/billable_instance_time\"");
        assertThat(requests.get(0).getAggregation().getPerSeriesAligner()).isEqualTo(Aggregation.Aligner.ALIGN_SUM);
    }

    @Test
    void permissionDeniedNamesTheMonitoringRole() {
        monitoring.failure = Status.PERMISSION_DENIED.withDescription("Permission monitoring.timeSeries.list denied");
        assertThatThrownBy(() -> metrics.instanceCounts("salvo-bench", T0, T0.plusSeconds(60)))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("reading Cloud Monitoring")
                .hasMessageContaining("roles/monitoring.viewer");
    }
}
