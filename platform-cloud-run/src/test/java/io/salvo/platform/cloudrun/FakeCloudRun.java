package io.salvo.platform.cloudrun;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.run.v2.CreateServiceRequest;
import com.google.cloud.run.v2.DeleteServiceRequest;
import com.google.cloud.run.v2.GetServiceRequest;
import com.google.cloud.run.v2.Service;
import com.google.cloud.run.v2.ServicesClient;
import com.google.cloud.run.v2.ServicesGrpc;
import com.google.cloud.run.v2.ServicesSettings;
import com.google.cloud.run.v2.UpdateServiceRequest;
import com.google.iam.v1.GetIamPolicyRequest;
import com.google.iam.v1.Policy;
import com.google.iam.v1.SetIamPolicyRequest;
import com.google.longrunning.GetOperationRequest;
import com.google.longrunning.Operation;
import com.google.longrunning.OperationsGrpc;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Cloud Run v2 Admin API in process: the real generated {@code google.cloud.run.v2.Services} service and the
 * {@code google.longrunning.Operations} service its long-running operations are polled on. It keeps services in a
 * map, records every request, answers each mutation with an operation whose first {@link #pollsBeforeDone}
 * GetOperation answers say "not done", and fails a method (or its operation) with a given status when told to.
 */
final class FakeCloudRun implements AutoCloseable {

    final List<Message> requests = new ArrayList<>();
    final Map<String, Service> services = new ConcurrentHashMap<>();
    final Map<String, Policy> policies = new ConcurrentHashMap<>();
    /** method name (e.g. "CreateService") → the status its next call fails with */
    final Map<String, Status> failNext = new ConcurrentHashMap<>();
    /** method name → the status its operation ends with (an operation that fails after being accepted) */
    final Map<String, Status> failOperation = new ConcurrentHashMap<>();

    final AtomicInteger operationPolls = new AtomicInteger();
    volatile int pollsBeforeDone = 1;
    /** the URL every service gets; tests point it at a loopback HTTP server */
    volatile String serviceUrl = "https://salvo-model-server-abc123-ew.a.run.app";

    private final Map<String, Operation> finished = new HashMap<>();
    private final Map<String, Integer> pollsLeft = new HashMap<>();
    private final AtomicInteger operationIds = new AtomicInteger();
    private final AtomicInteger revisions = new AtomicInteger();
    private final Server server;
    private final ManagedChannel channel;
    private Server loopback;

    FakeCloudRun() throws IOException {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(new Services())
                .addService(new Operations())
                .build()
                .start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    /**
     * Serves the same fake over real HTTP/2 on a loopback port as well, for the driver's own client path (the
     * {@code endpoint} setting); extra services (e.g. a Monitoring fake) can be added to it.
     *
     * @return the port
     */
    synchronized int serveOnLoopback(io.grpc.ServerServiceDefinition... extra) throws IOException {
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder builder =
                io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))
                        .addService(new Services())
                        .addService(new Operations());
        for (io.grpc.ServerServiceDefinition definition : extra) {
            builder.addService(definition);
        }
        loopback = builder.build().start();
        return loopback.getPort();
    }

    /** A real ServicesClient over the in-process channel, polling operations as the driver configures it. */
    ServicesClient client(CloudRunSettings settings) throws IOException {
        ServicesSettings.Builder builder = ServicesSettings.newBuilder()
                .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
                .setCredentialsProvider(NoCredentialsProvider.create());
        return ServicesClient.create(
                CloudRunClients.withPolling(builder, settings).build());
    }

    synchronized <T extends Message> List<T> requestsOf(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Message m : requests) {
            if (type.isInstance(m)) {
                out.add(type.cast(m));
            }
        }
        return out;
    }

    private synchronized void record(Message request) {
        requests.add(request);
    }

    private boolean failed(String method, StreamObserver<?> observer) {
        Status status = failNext.remove(method);
        if (status != null) {
            observer.onError(status.asRuntimeException());
            return true;
        }
        return false;
    }

    private synchronized Operation operation(String method, Service result) {
        String name = "projects/p/locations/r/operations/op-" + operationIds.incrementAndGet();
        Status failure = failOperation.remove(method);
        Operation.Builder done = Operation.newBuilder().setName(name).setDone(true);
        if (failure != null) {
            done.setError(com.google.rpc.Status.newBuilder()
                    .setCode(failure.getCode().value())
                    .setMessage(failure.getDescription()));
        } else {
            done.setResponse(Any.pack(result)).setMetadata(Any.pack(result));
        }
        finished.put(name, done.build());
        pollsLeft.put(name, pollsBeforeDone);
        return Operation.newBuilder()
                .setName(name)
                .setDone(false)
                .setMetadata(Any.pack(result))
                .build();
    }

    private Service deployed(Service requested, String name) {
        String revision = requested.getName().isEmpty() ? name : requested.getName();
        return requested.toBuilder()
                .setName(name)
                .setUri(serviceUrl)
                .setLatestCreatedRevision(revision + "-" + String.format("%05d", revisions.incrementAndGet()))
                .setEtag("etag-" + revisions.get())
                .build();
    }

    private final class Services extends ServicesGrpc.ServicesImplBase {
        @Override
        public void getService(GetServiceRequest request, StreamObserver<Service> observer) {
            record(request);
            if (failed("GetService", observer)) {
                return;
            }
            Service service = services.get(request.getName());
            if (service == null) {
                observer.onError(Status.NOT_FOUND
                        .withDescription("Resource '" + request.getName() + "' was not found")
                        .asRuntimeException());
                return;
            }
            observer.onNext(service);
            observer.onCompleted();
        }

        @Override
        public void createService(CreateServiceRequest request, StreamObserver<Operation> observer) {
            record(request);
            if (failed("CreateService", observer)) {
                return;
            }
            String name = request.getParent() + "/services/" + request.getServiceId();
            Service service = deployed(request.getService(), name);
            // kept even when the operation is told to fail: Cloud Run leaves a service whose revision failed
            services.put(name, service);
            observer.onNext(operation("CreateService", service));
            observer.onCompleted();
        }

        @Override
        public void updateService(UpdateServiceRequest request, StreamObserver<Operation> observer) {
            record(request);
            if (failed("UpdateService", observer)) {
                return;
            }
            String name = request.getService().getName();
            if (!services.containsKey(name)) {
                observer.onError(Status.NOT_FOUND.withDescription(name).asRuntimeException());
                return;
            }
            Service service = deployed(request.getService(), name);
            services.put(name, service);
            observer.onNext(operation("UpdateService", service));
            observer.onCompleted();
        }

        @Override
        public void deleteService(DeleteServiceRequest request, StreamObserver<Operation> observer) {
            record(request);
            if (failed("DeleteService", observer)) {
                return;
            }
            Service removed = services.remove(request.getName());
            if (removed == null) {
                observer.onError(
                        Status.NOT_FOUND.withDescription(request.getName()).asRuntimeException());
                return;
            }
            observer.onNext(operation("DeleteService", removed));
            observer.onCompleted();
        }

        @Override
        public void getIamPolicy(GetIamPolicyRequest request, StreamObserver<Policy> observer) {
            record(request);
            if (failed("GetIamPolicy", observer)) {
                return;
            }
            observer.onNext(policies.getOrDefault(
                    request.getResource(),
                    Policy.newBuilder()
                            .setEtag(com.google.protobuf.ByteString.copyFromUtf8("p0"))
                            .build()));
            observer.onCompleted();
        }

        @Override
        public void setIamPolicy(SetIamPolicyRequest request, StreamObserver<Policy> observer) {
            record(request);
            if (failed("SetIamPolicy", observer)) {
                return;
            }
            policies.put(request.getResource(), request.getPolicy());
            observer.onNext(request.getPolicy());
            observer.onCompleted();
        }
    }

    private final class Operations extends OperationsGrpc.OperationsImplBase {
        @Override
        public void getOperation(GetOperationRequest request, StreamObserver<Operation> observer) {
            operationPolls.incrementAndGet();
            Operation answer;
            synchronized (FakeCloudRun.this) {
                Operation done = finished.get(request.getName());
                if (done == null) {
                    observer.onError(
                            Status.NOT_FOUND.withDescription(request.getName()).asRuntimeException());
                    return;
                }
                int left = pollsLeft.merge(request.getName(), -1, Integer::sum);
                answer = left < 0
                        ? done
                        : Operation.newBuilder()
                                .setName(request.getName())
                                .setDone(false)
                                .build();
            }
            observer.onNext(answer);
            observer.onCompleted();
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        if (loopback != null) {
            loopback.shutdownNow();
        }
        try {
            if (loopback != null) {
                loopback.awaitTermination(5, TimeUnit.SECONDS);
            }
            channel.awaitTermination(5, TimeUnit.SECONDS);
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
