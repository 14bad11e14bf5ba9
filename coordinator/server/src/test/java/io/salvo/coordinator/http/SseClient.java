package io.salvo.coordinator.http;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A Server-Sent Events reader for tests: parses the stream into events as they arrive. */
final class SseClient implements AutoCloseable {

    record Event(long id, String name, JsonObject data) {}

    final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> closedByServer = new CompletableFuture<>();
    final int status;
    private final Stream<String> body;

    SseClient(HttpClient http, String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        headers.forEach(request::header);
        HttpResponse<Stream<String>> r = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
                .get(20, TimeUnit.SECONDS);
        status = r.statusCode();
        body = r.body();
        Thread reader = new Thread(() -> read(body), "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(Stream<String> lines) {
        long[] id = {-1};
        String[] name = {"message"};
        StringBuilder data = new StringBuilder();
        try {
            lines.forEach(line -> {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(id[0], name[0], new JsonObject(data.toString())));
                    }
                    data.setLength(0);
                    name[0] = "message";
                } else if (line.startsWith("id: ")) {
                    id[0] = Long.parseLong(line.substring(4));
                } else if (line.startsWith("event: ")) {
                    name[0] = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            });
            closedByServer.complete(null);
        } catch (RuntimeException e) {
            closedByServer.completeExceptionally(e);
        }
    }

    Event next() throws InterruptedException {
        Event e = events.poll(20, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no server-sent event within 20 s");
        }
        return e;
    }

    @Override
    public void close() {
        body.close();
    }
}
