package io.salvo.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback that a test can cut and heal: the network link between two processes (two coordinators'
 * cluster members, say), made breakable.
 *
 * <p>While healed it accepts connections on a fixed port and pumps bytes both ways to its upstream. {@link #cut()}
 * closes every connection it carries and stops listening, so new connections are refused by the kernel (as to a
 * peer that is unreachable, not hung); {@link #heal()} listens on the same port again. Loopback only.
 */
public final class CuttableProxy implements AutoCloseable {

    private final int port;
    private final InetSocketAddress upstream;
    private final ExecutorService pumps = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "cuttable-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private ServerSocket server;
    private boolean closed;

    private CuttableProxy(int port, InetSocketAddress upstream) {
        this.port = port;
        this.upstream = upstream;
    }

    /** Listens on {@code port} of 127.0.0.1 (0: any free port, kept across cuts) and forwards to {@code upstream}. */
    public static CuttableProxy start(int port, InetSocketAddress upstream) throws IOException {
        ServerSocket first = listen(port);
        CuttableProxy proxy = new CuttableProxy(first.getLocalPort(), upstream);
        proxy.serve(first);
        return proxy;
    }

    /** A port free on 127.0.0.1 now (for a proxy, or for what it forwards to). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open now. */
    public int open() {
        return sockets.size() / 2;
    }

    public synchronized boolean isCut() {
        return server == null;
    }

    /** Closes every connection and stops listening: connecting is refused until {@link #heal()}. */
    public synchronized void cut() {
        if (server == null) {
            return;
        }
        closeQuietly(server);
        server = null;
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** Listens on the same port again. */
    public synchronized void heal() throws IOException {
        if (server != null || closed) {
            return;
        }
        serve(listen(port));
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        return server;
    }

    private synchronized void serve(ServerSocket listening) {
        server = listening;
        pumps.execute(() -> accept(listening));
    }

    private void accept(ServerSocket listening) {
        while (!listening.isClosed()) {
            Socket client;
            try {
                client = listening.accept();
            } catch (IOException e) {
                return; // cut or closed
            }
            Socket target;
            try {
                target = new Socket(upstream.getAddress(), upstream.getPort());
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            synchronized (this) {
                if (server != listening) {
                    closeQuietly(client);
                    closeQuietly(target);
                    return;
                }
                sockets.add(client);
                sockets.add(target);
            }
            accepted.incrementAndGet();
            try {
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
            } catch (IOException e) {
                // keep the default
            }
            pumps.execute(() -> pump(client, target));
            pumps.execute(() -> pump(target, client));
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the connection ended, or was cut
        }
        closeQuietly(from);
        closeQuietly(to);
        sockets.remove(from);
        sockets.remove(to);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        cut();
        pumps.shutdownNow();
    }
}
