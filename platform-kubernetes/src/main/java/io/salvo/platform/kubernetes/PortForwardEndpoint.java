package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.PortForward;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A loopback port that forwards each accepted connection through the API server to one ready pod of the model,
 * round-robin (as {@code kubectl port-forward pod/...}, one stream per connection). New connections pick among the
 * pods ready at that moment, so the endpoint outlives scale to zero and spreads a run's connections over the pods that
 * came up; a connection made while no pod is ready waits for one (up to {@code waitForPod}), as Knative's activator
 * holds requests. It bypasses the Service's own balancing and kube-proxy: for a run at scale, give an ingress URL.
 */
final class PortForwardEndpoint implements EndpointSource {

    private static final Logger LOG = Logger.getLogger(PortForwardEndpoint.class.getName());

    private final KubernetesClient client;
    private final String namespace;
    private final int podPort;
    private final Supplier<List<String>> readyPods;
    private final Duration waitForPod;
    private final ServerSocketChannel server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "salvo-port-forward");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong next = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();

    PortForwardEndpoint(
            KubernetesClient client,
            String namespace,
            int podPort,
            Supplier<List<String>> readyPods,
            Duration waitForPod) {
        this.client = client;
        this.namespace = namespace;
        this.podPort = podPort;
        this.readyPods = readyPods;
        this.waitForPod = waitForPod;
        try {
            server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a loopback port for the port-forward", e);
        }
        var unused = threads.submit(this::acceptLoop);
    }

    @Override
    public URI uri() {
        try {
            return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel connection = server.accept();
                var unused = threads.submit(() -> forward(connection));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "port-forward accept failed", e);
                }
            }
        }
    }

    private void forward(SocketChannel connection) {
        try (connection) {
            String pod = pickPod();
            if (pod == null) {
                LOG.warning("port-forward: no ready pod within " + waitForPod.toMillis() + " ms; connection closed");
                return;
            }
            ClientSide in = new ClientSide(connection);
            open.incrementAndGet();
            // ends when the pod side closes (the forward is no longer alive) or the client closed its side: fabric8
            // stops reading at the client's end of stream but keeps the WebSocket open, so it is closed here
            try (PortForward forward =
                    client.pods().inNamespace(namespace).withName(pod).portForward(podPort, in, connection)) {
                while (forward.isAlive() && connection.isOpen() && !in.ended) {
                    Thread.sleep(20); // the forward's own threads carry the bytes; this one only waits for its end
                }
            } finally {
                open.decrementAndGet();
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "port-forward connection ended", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The client's side of a connection, noting its end of stream. */
    private static final class ClientSide implements ReadableByteChannel {
        private final SocketChannel connection;
        private volatile boolean ended;

        ClientSide(SocketChannel connection) {
            this.connection = connection;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = connection.read(dst);
            if (n < 0) {
                ended = true;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return connection.isOpen();
        }

        @Override
        public void close() throws IOException {
            connection.close();
        }
    }

    /** Forwards open now (connections being carried to a pod). */
    int openForwards() {
        return open.get();
    }

    private String pickPod() throws InterruptedException {
        long deadline = System.nanoTime() + waitForPod.toNanos();
        while (true) {
            List<String> ready = readyPods.get();
            if (!ready.isEmpty()) {
                return ready.get((int) (next.getAndIncrement() % ready.size()));
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the port-forward", e);
        }
        threads.shutdownNow();
    }
}
