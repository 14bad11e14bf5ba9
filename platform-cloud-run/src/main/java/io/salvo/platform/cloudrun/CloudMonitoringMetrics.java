package io.salvo.platform.cloudrun;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.monitoring.v3.MetricServiceClient;
import com.google.monitoring.v3.Aggregation;
import com.google.monitoring.v3.ListTimeSeriesRequest;
import com.google.monitoring.v3.Point;
import com.google.monitoring.v3.TimeInterval;
import com.google.monitoring.v3.TimeSeries;
import com.google.monitoring.v3.TypedValue;
import com.google.protobuf.Timestamp;
import io.salvo.platform.InstanceCountSample;
import io.salvo.platform.PlatformException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Instance and request counts of a Cloud Run service from Cloud Monitoring: {@code
 * run.googleapis.com/container/instance_count} (a gauge sampled every minute, labelled active/idle; taken as the
 * maximum per minute, summed over revisions and states), {@code run.googleapis.com/request_count} and {@code
 * run.googleapis.com/container/billable_instance_time} (deltas, summed). Cloud Monitoring shows a minute's data up to about three minutes late. Needs roles/monitoring.viewer.
 */
public final class CloudMonitoringMetrics implements PlatformMetrics {

    public static final String INSTANCE_COUNT = "run.googleapis.com/container/instance_count";
    public static final String REQUEST_COUNT = "run.googleapis.com/request_count";
    public static final String BILLABLE_INSTANCE_TIME = "run.googleapis.com/container/billable_instance_time";
    static final Duration ALIGNMENT = Duration.ofSeconds(60);

    private final MetricServiceClient client;
    private final CloudRunSettings settings;

    public CloudMonitoringMetrics(MetricServiceClient client, CloudRunSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** The filter of one metric of this service. */
    String filter(String metric, String service) {
        return "metric.type = \"" + metric + "\" AND resource.type = \"cloud_run_revision\""
                + " AND resource.labels.service_name = \"" + service + "\""
                + " AND resource.labels.location = \"" + settings.region() + "\"";
    }

    ListTimeSeriesRequest request(
            String metric, String service, Instant from, Instant to, Aggregation.Aligner aligner) {
        return ListTimeSeriesRequest.newBuilder()
                .setName("projects/" + settings.project())
                .setFilter(filter(metric, service))
                .setInterval(
                        TimeInterval.newBuilder().setStartTime(timestamp(from)).setEndTime(timestamp(to)))
                .setAggregation(Aggregation.newBuilder()
                        .setAlignmentPeriod(
                                com.google.protobuf.Duration.newBuilder().setSeconds(ALIGNMENT.toSeconds()))
                        .setPerSeriesAligner(aligner)
                        .setCrossSeriesReducer(Aggregation.Reducer.REDUCE_SUM)
                        .addGroupByFields("resource.labels.service_name"))
                .setView(ListTimeSeriesRequest.TimeSeriesView.FULL)
                .build();
    }

    @Override
    public List<InstanceCountSample> instanceCounts(String service, Instant from, Instant to) throws PlatformException {
        TreeMap<Instant, Long> byWindowStart = new TreeMap<>();
        for (TimeSeries series : list(request(INSTANCE_COUNT, service, from, to, Aggregation.Aligner.ALIGN_MAX))) {
            for (Point point : series.getPointsList()) {
                // an aligned point describes the minute that ends at its end time
                Instant windowStart = instant(point.getInterval().getEndTime()).minus(ALIGNMENT);
                byWindowStart.merge(windowStart, value(point.getValue()), Long::sum);
            }
        }
        List<InstanceCountSample> out = new ArrayList<>();
        byWindowStart.forEach((at, count) -> out.add(new InstanceCountSample(at, 0, Math.toIntExact(count))));
        return out;
    }

    @Override
    public OptionalLong requestCount(String service, Instant from, Instant to) throws PlatformException {
        long total = 0;
        boolean any = false;
        for (TimeSeries series : list(request(REQUEST_COUNT, service, from, to, Aggregation.Aligner.ALIGN_SUM))) {
            for (Point point : series.getPointsList()) {
                total += value(point.getValue());
                any = true;
            }
        }
        return any ? OptionalLong.of(total) : OptionalLong.empty();
    }

    @Override
    public OptionalDouble billableInstanceSeconds(String service, Instant from, Instant to) throws PlatformException {
        double total = 0;
        boolean any = false;
        for (TimeSeries series :
                list(request(BILLABLE_INSTANCE_TIME, service, from, to, Aggregation.Aligner.ALIGN_SUM))) {
            for (Point point : series.getPointsList()) {
                TypedValue value = point.getValue();
                total += value.getValueCase() == TypedValue.ValueCase.DOUBLE_VALUE
                        ? value.getDoubleValue()
                        : value.getInt64Value();
                any = true;
            }
        }
        return any ? OptionalDouble.of(total) : OptionalDouble.empty();
    }

    @Override
    public String source() {
        return "Cloud Monitoring " + INSTANCE_COUNT + " (max per minute, all revisions and states)";
    }

    private List<TimeSeries> list(ListTimeSeriesRequest request) throws PlatformException {
        try {
            List<TimeSeries> out = new ArrayList<>();
            client.listTimeSeries(request).iterateAll().forEach(out::add);
            return out;
        } catch (ApiException e) {
            throw CloudRunErrors.translate("reading Cloud Monitoring (" + request.getFilter() + ")", e, settings);
        }
    }

    private static long value(TypedValue value) {
        return switch (value.getValueCase()) {
            case INT64_VALUE -> value.getInt64Value();
            case DOUBLE_VALUE -> Math.round(value.getDoubleValue());
            default -> 0;
        };
    }

    static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder()
                .setSeconds(instant.getEpochSecond())
                .setNanos(instant.getNano())
                .build();
    }

    static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    @Override
    public void close() {
        client.close();
    }
}
