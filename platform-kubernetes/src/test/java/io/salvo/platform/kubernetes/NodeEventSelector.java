package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The API server's {@code involvedObject.kind=Node} field selector on events, which fabric8's CRUD mock does not index
 * (it answers such a list with nothing): answered here, cluster-wide and in {@code default}, from the node events the
 * scripted cluster recorded, or refused with a 403 where the test says RBAC forbids it.
 */
final class NodeEventSelector {

    static final String CLUSTER_WIDE = "/api/v1/events?fieldSelector=involvedObject.kind%3DNode";
    static final String IN_DEFAULT = "/api/v1/namespaces/" + ClusterObserver.NODE_EVENTS_NAMESPACE
            + "/events?fieldSelector=involvedObject.kind%3DNode";

    private final List<Event> nodeEvents = new CopyOnWriteArrayList<>();
    volatile boolean refuseClusterWide;
    volatile boolean refuseInDefault;

    private NodeEventSelector() {}

    static NodeEventSelector install(KubernetesMockServer server) {
        NodeEventSelector selector = new NodeEventSelector();
        server.expect()
                .get()
                .withPath(CLUSTER_WIDE)
                .andReply(selector.answer(true))
                .always();
        server.expect()
                .get()
                .withPath(IN_DEFAULT)
                .andReply(selector.answer(false))
                .always();
        return selector;
    }

    void recorded(Event nodeEvent) {
        nodeEvents.add(nodeEvent);
    }

    private ResponseProvider<Object> answer(boolean clusterWide) {
        return new ResponseProvider<>() {
            private Headers headers = Headers.builder().build();

            private boolean refused() {
                return clusterWide ? refuseClusterWide : refuseInDefault;
            }

            @Override
            public Object getBody(RecordedRequest request) {
                if (refused()) {
                    return new StatusBuilder()
                            .withStatus("Failure")
                            .withReason("Forbidden")
                            .withCode(403)
                            .withMessage("events is forbidden: User \"system:serviceaccount:bench:salvo\" cannot list"
                                    + " resource \"events\" in API group \"\""
                                    + (clusterWide ? " at the cluster scope" : " in the namespace \"default\""))
                            .build();
                }
                return new EventListBuilder()
                        .withNewMetadata()
                        .withResourceVersion("1")
                        .endMetadata()
                        .withItems(nodeEvents)
                        .build();
            }

            @Override
            public int getStatusCode(RecordedRequest request) {
                return refused() ? 403 : 200;
            }

            @Override
            public Headers getHeaders() {
                return headers;
            }

            @Override
            public void setHeaders(Headers headers) {
                this.headers = headers;
            }
        };
    }
}
