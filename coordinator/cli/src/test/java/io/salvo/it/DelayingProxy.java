package io.salvo.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback that holds every byte from the client for a fixed time before passing it on: the network
 * path of one region, in a test. Answers come back at once, so each request's latency grows by the delay.
 *
 * <p>Bytes keep their order: one scheduler thread writes them, and a chunk read later is due no earlier than one read
 * before it (same delay; the scheduler runs tasks due at the same instant in submission order).
 */
final class DelayingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final long delayNanos;
    private final ScheduledExecutorService delayer = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService pumps = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private DelayingProxy(ServerSocket server, InetSocketAddress upstream, Duration delay) {
        this.server = server;
        this.upstream = upstream;
        this.delayNanos = delay.toNanos();
    }

    /** Listens on {@code bind} (a loopback address, port 0 for any) and forwards to {@code upstream}. */
    static DelayingProxy start(InetSocketAddress bind, InetSocketAddress upstream, Duration delay) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 512);
        DelayingProxy proxy = new DelayingProxy(server, upstream, delay);
        proxy.pumps.execute(proxy::accept);
        return proxy;
    }

    InetAddress address() {
        return server.getInetAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket target = new Socket(upstream.getAddress(), upstream.getPort());
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(target);
                pumps.execute(() -> pump(client, target, true));
                pumps.execute(() -> pump(target, client, false));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean delayed) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (!delayed) {
                    out.write(buffer, 0, n);
                    continue;
                }
                byte[] chunk = Arrays.copyOf(buffer, n);
                var unused = delayer.schedule(() -> write(out, chunk, from, to), delayNanos, TimeUnit.NANOSECONDS);
            }
        } catch (IOException e) {
            // the connection ended
        }
        if (delayed) {
            // Close only after the delayed bytes went out.
            var unused = delayer.schedule(() -> closeBoth(from, to), delayNanos, TimeUnit.NANOSECONDS);
        } else {
            closeBoth(from, to);
        }
    }

    private static void write(OutputStream out, byte[] chunk, Socket from, Socket to) {
        try {
            out.write(chunk);
        } catch (IOException e) {
            closeBoth(from, to);
        }
    }

    private static void closeBoth(Socket a, Socket b) {
        try {
            a.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            b.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        delayer.shutdownNow();
        pumps.shutdownNow();
    }
}
