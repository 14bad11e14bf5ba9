package io.salvo.platform.cloudrun;

import com.google.monitoring.v3.ListTimeSeriesRequest;
import com.google.monitoring.v3.ListTimeSeriesResponse;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Cloud Monitoring's {@code google.monitoring.v3.MetricService}, only ListTimeSeries, declared from the generated
 * messages (the generated gRPC service class is not served to this build): records requests and answers with
 * {@link #answer}, or fails with {@link #failure}.
 */
final class FakeMonitoring {

    final List<ListTimeSeriesRequest> requests = new CopyOnWriteArrayList<>();
    volatile Function<ListTimeSeriesRequest, ListTimeSeriesResponse> answer =
            request -> ListTimeSeriesResponse.getDefaultInstance();
    volatile Status failure;

    ServerServiceDefinition definition() {
        MethodDescriptor<ListTimeSeriesRequest, ListTimeSeriesResponse> listTimeSeries =
                MethodDescriptor.<ListTimeSeriesRequest, ListTimeSeriesResponse>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNARY)
                        .setFullMethodName(MethodDescriptor.generateFullMethodName(
                                "google.monitoring.v3.MetricService", "ListTimeSeries"))
                        .setRequestMarshaller(ProtoUtils.marshaller(ListTimeSeriesRequest.getDefaultInstance()))
                        .setResponseMarshaller(ProtoUtils.marshaller(ListTimeSeriesResponse.getDefaultInstance()))
                        .build();
        return ServerServiceDefinition.builder("google.monitoring.v3.MetricService")
                .addMethod(listTimeSeries, ServerCalls.asyncUnaryCall((request, observer) -> {
                    requests.add(request);
                    Status failed = failure;
                    if (failed != null) {
                        observer.onError(failed.asRuntimeException());
                        return;
                    }
                    observer.onNext(answer.apply(request));
                    observer.onCompleted();
                }))
                .build();
    }
}
