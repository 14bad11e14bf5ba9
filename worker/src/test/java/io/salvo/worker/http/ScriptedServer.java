package io.salvo.worker.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 server made of plain sockets whose every answer the test writes byte for
 * byte, so the client can be shown responses no well-behaved server library would send. It counts
 * what it saw (connections, requests, answers, closes by the client) for tests to wait on.
 */
final class ScriptedServer implements AutoCloseable {

    /** What to send back for one request; returning null closes the connection without answering. */
    interface Script {
        byte[] answer(int connection, int request, String head) throws Exception;
    }

    private final ServerSocket server;
    private final Script script;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger closedByClient = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();

    ScriptedServer(Script script) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        Thread acceptor = new Thread(this::accept, "scripted-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    int port() {
        return server.getLocalPort();
    }

    int connections() {
        return connections.get();
    }

    List<String> requests() {
        return requests;
    }

    /** Responses written and flushed, over all connections. */
    int answered() {
        return answered.get();
    }

    /** Connections the client closed (the server read end-of-stream where a request could begin). */
    int closedByClient() {
        return closedByClient.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                int index = connections.getAndIncrement();
                Thread handler = new Thread(() -> serve(socket, index), "scripted-connection-" + index);
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, int connection) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (int request = 0; ; request++) {
                String head = readHead(in);
                if (head == null) {
                    closedByClient.incrementAndGet();
                    return;
                }
                in.readNBytes(contentLength(head));
                requests.add(head);
                byte[] answer = script.answer(connection, request, head);
                if (answer == null) {
                    return;
                }
                out.write(answer);
                out.flush();
                answered.incrementAndGet();
            }
        } catch (Exception e) {
            // the client went away, or the test closed the server
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1)
                    ? matched + 1
                    : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n", -1)) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
