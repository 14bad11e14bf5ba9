package io.salvo.platform.lambda;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An in-JVM fake of the parts of the AWS Lambda REST-JSON API and the CloudWatch Logs JSON 1.1 API that the driver
 * uses, on a loopback port, speaking the real wire protocol so the real SDK clients talk to it: paths, methods, JSON
 * bodies, error types in {@code X-Amzn-ErrorType} and {@code __type}. What moto_server does not cover is scripted
 * here: functions that stay Pending, REPORT lines in their real format, throttling, access denied.
 */
final class FakeAws implements AutoCloseable {

    /** A scripted error answer for the next call of one operation. */
    record Failure(int status, String type, String message) {}

    private static final Pattern FUNCTION = Pattern.compile("^/(\\d{4}-\\d{2}-\\d{2})/functions(?:/([^/]+)(/.*)?)?$");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final List<String> calls = new ArrayList<>();
    private final Map<String, Deque<Failure>> failures = new HashMap<>();
    private final Map<String, JsonObject> functions = new LinkedHashMap<>();
    private final Map<String, JsonArray> logEvents = new LinkedHashMap<>();
    private final List<JsonObject> filterRequests = new ArrayList<>();
    private final List<String> permissions = new ArrayList<>();
    private final List<String> logGroups = new ArrayList<>();
    private final Map<String, String> urls = new HashMap<>();
    private int pendingPolls;
    private boolean neverActive;
    private int versions;
    private int provisionedPolls;
    private String invokePayload = "{\"statusCode\":200,\"headers\":{\"Salvo-Instance-Id\":\"fake\"},\"body\":\"{}\"}";

    FakeAws() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next call of {@code operation} (e.g. CreateFunction, FilterLogEvents) answers with this error. */
    synchronized void failNext(String operation, Failure failure) {
        failures.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(failure);
    }

    /** Every call of {@code operation} answers with this error (a few hundred times). */
    synchronized void failAlways(String operation, Failure failure) {
        for (int i = 0; i < 500; i++) {
            failNext(operation, failure);
        }
    }

    /** A log group that exists before the driver comes. */
    synchronized void existingLogGroup(String group) {
        logGroups.add(group);
    }

    /** New functions and updates report Pending / InProgress for this many reads. */
    synchronized void pendingFor(int polls) {
        pendingPolls = polls;
    }

    /** Functions never leave Pending (a waiter must give up). */
    synchronized void neverActive() {
        neverActive = true;
    }

    /** Provisioned concurrency reports IN_PROGRESS for this many reads, then READY. */
    synchronized void provisionedAfter(int polls) {
        provisionedPolls = polls;
    }

    synchronized void invokeAnswers(String payload) {
        invokePayload = payload;
    }

    /** Adds a log event to a log group's scripted content. */
    synchronized void log(String group, String stream, long timestampMillis, String message) {
        logEvents
                .computeIfAbsent(group, g -> new JsonArray())
                .add(new JsonObject()
                        .put("logStreamName", stream)
                        .put("timestamp", timestampMillis)
                        .put("message", message)
                        .put("ingestionTime", timestampMillis + 500)
                        .put("eventId", Integer.toString(logEvents.get(group).size())));
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    synchronized List<JsonObject> filterRequests() {
        return List.copyOf(filterRequests);
    }

    synchronized Map<String, JsonObject> functions() {
        return Map.copyOf(functions);
    }

    /** The reserved concurrency of a function; null when none was put. */
    synchronized Integer reserved(String name) {
        return functions.get(name).getInteger("reserved");
    }

    synchronized List<String> permissions() {
        return List.copyOf(permissions);
    }

    synchronized List<String> logGroups() {
        return List.copyOf(logGroups);
    }

    synchronized Map<String, String> urls() {
        return Map.copyOf(urls);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            Answer answer;
            synchronized (this) {
                answer = target != null
                        ? logs(target.substring(target.indexOf('.') + 1), body)
                        : lambda(exchange.getRequestMethod(), exchange.getRequestURI(), body);
            }
            if (answer.errorType != null) {
                exchange.getResponseHeaders().add("X-Amzn-ErrorType", answer.errorType);
            }
            exchange.getResponseHeaders()
                    .add("Content-Type", target != null ? "application/x-amz-json-1.1" : "application/json");
            exchange.getResponseHeaders().add("x-amzn-RequestId", "fake-request");
            byte[] out = answer.body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer.status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    private record Answer(int status, String errorType, String body) {
        static Answer ok(JsonObject json) {
            return new Answer(200, null, json.encode());
        }
    }

    private Answer scripted(String operation, boolean json11) {
        calls.add(operation);
        Deque<Failure> queue = failures.get(operation);
        Failure failure = queue == null ? null : queue.poll();
        if (failure == null) {
            return null;
        }
        JsonObject error = new JsonObject().put("message", failure.message());
        if (json11) {
            error.put("__type", failure.type());
        } else {
            error.put("Type", "User");
        }
        return new Answer(failure.status(), json11 ? null : failure.type(), error.encode());
    }

    private Answer logs(String action, byte[] body) {
        Answer failed = scripted(action, true);
        if (failed != null) {
            return failed;
        }
        JsonObject request = new JsonObject(new String(body, StandardCharsets.UTF_8));
        String group = request.getString("logGroupName", request.getString("logGroupNamePrefix", ""));
        switch (action) {
            case "DescribeLogGroups" -> {
                JsonArray groups = new JsonArray();
                for (String g : logGroups) {
                    if (g.startsWith(group)) {
                        groups.add(new JsonObject().put("logGroupName", g));
                    }
                }
                return Answer.ok(new JsonObject().put("logGroups", groups));
            }
            case "CreateLogGroup" -> {
                logGroups.add(group);
                return Answer.ok(new JsonObject());
            }
            case "DeleteLogGroup" -> {
                logGroups.remove(group);
                return Answer.ok(new JsonObject());
            }
            case "FilterLogEvents" -> {
                filterRequests.add(request);
                if (!logGroups.contains(group) && !logEvents.containsKey(group)) {
                    return new Answer(
                            400,
                            null,
                            new JsonObject()
                                    .put("__type", "ResourceNotFoundException")
                                    .put("message", "The specified log group does not exist.")
                                    .encode());
                }
                long start = request.getLong("startTime", Long.MIN_VALUE);
                long end = request.getLong("endTime", Long.MAX_VALUE);
                JsonArray all = logEvents.getOrDefault(group, new JsonArray());
                // two pages when there is more than one event, so the driver's pagination is exercised
                int from = request.containsKey("nextToken") ? Integer.parseInt(request.getString("nextToken")) : 0;
                JsonArray page = new JsonArray();
                int i = from;
                for (; i < all.size() && page.size() < Math.max(1, all.size() / 2); i++) {
                    JsonObject event = all.getJsonObject(i);
                    long ts = event.getLong("timestamp");
                    if (ts >= start && ts <= end) {
                        page.add(event);
                    }
                }
                JsonObject response = new JsonObject().put("events", page);
                if (i < all.size()) {
                    response.put("nextToken", Integer.toString(i));
                }
                return Answer.ok(response);
            }
            default -> {
                return new Answer(
                        400,
                        null,
                        new JsonObject()
                                .put("__type", "InvalidParameterException")
                                .put("message", "fake: " + action)
                                .encode());
            }
        }
    }

    private Answer lambda(String method, URI uri, byte[] body) {
        Matcher m = FUNCTION.matcher(uri.getRawPath());
        if (!m.matches()) {
            return new Answer(404, "ResourceNotFoundException", "{\"message\":\"no such path\"}");
        }
        String name = m.group(2) == null ? null : URLDecoder.decode(m.group(2), StandardCharsets.UTF_8);
        String rest = m.group(3) == null ? "" : m.group(3);
        String operation = operation(method, m.group(1), name, rest);
        Answer failed = scripted(operation, false);
        if (failed != null) {
            return failed;
        }
        JsonObject request =
                body.length == 0 ? new JsonObject() : new JsonObject(new String(body, StandardCharsets.UTF_8));
        if (operation.equals("CreateFunction")) {
            String fn = request.getString("FunctionName");
            JsonObject config = request.copy()
                    .put("FunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:" + fn)
                    .put("State", "Pending")
                    .put("LastUpdateStatus", "InProgress")
                    .put("Version", "$LATEST")
                    .put("pollsLeft", pendingPolls);
            config.remove("Code");
            functions.put(fn, config);
            return new Answer(201, null, visible(config).encode());
        }
        JsonObject function = name == null ? null : functions.get(name);
        if (function == null) {
            return new Answer(
                    404,
                    "ResourceNotFoundException",
                    new JsonObject()
                            .put("Type", "User")
                            .put("message", "Function not found: " + name)
                            .encode());
        }
        switch (operation) {
            case "GetFunction" -> {
                poll(function);
                return Answer.ok(new JsonObject().put("Configuration", visible(function)));
            }
            case "GetFunctionConfiguration" -> {
                poll(function);
                return Answer.ok(visible(function));
            }
            case "UpdateFunctionConfiguration" -> {
                function.put("Environment", request.getJsonObject("Environment"));
                function.put("LastUpdateStatus", "InProgress").put("pollsLeft", pendingPolls);
                return Answer.ok(visible(function));
            }
            case "DeleteFunction" -> {
                functions.remove(name);
                return new Answer(204, null, "");
            }
            case "PublishVersion" -> {
                versions++;
                return new Answer(
                        201,
                        null,
                        visible(function)
                                .copy()
                                .put("Version", Integer.toString(versions))
                                .put("State", "Active")
                                .encode());
            }
            case "CreateAlias", "UpdateAlias" -> {
                function.put("alias", request.getString("FunctionVersion"));
                return Answer.ok(new JsonObject()
                        .put("Name", "salvo")
                        .put("FunctionVersion", request.getString("FunctionVersion")));
            }
            case "PutProvisionedConcurrencyConfig" -> {
                function.put("provisioned", request.getInteger("ProvisionedConcurrentExecutions"));
                return new Answer(
                        202, null, new JsonObject().put("Status", "IN_PROGRESS").encode());
            }
            case "GetProvisionedConcurrencyConfig" -> {
                boolean ready = provisionedPolls-- <= 0;
                return Answer.ok(new JsonObject()
                        .put("Status", ready ? "READY" : "IN_PROGRESS")
                        .put("RequestedProvisionedConcurrentExecutions", function.getInteger("provisioned"))
                        .put(
                                "AvailableProvisionedConcurrentExecutions",
                                ready ? function.getInteger("provisioned") : 0));
            }
            case "CreateFunctionUrlConfig" -> {
                String url = "https://" + name + ".lambda-url.us-east-1.on.aws/";
                urls.put(name + qualifier(uri), request.getString("AuthType"));
                return new Answer(
                        201,
                        null,
                        new JsonObject()
                                .put("FunctionUrl", url)
                                .put("AuthType", request.getString("AuthType"))
                                .encode());
            }
            case "DeleteFunctionUrlConfig" -> {
                urls.remove(name + qualifier(uri));
                return new Answer(204, null, "");
            }
            case "AddPermission" -> {
                permissions.add(request.getString("StatementId") + " " + request.getString("Action") + " "
                        + request.getString("Principal") + qualifier(uri));
                return new Answer(
                        201, null, new JsonObject().put("Statement", "{}").encode());
            }
            case "RemovePermission" -> {
                String sid = rest.substring(rest.lastIndexOf('/') + 1);
                permissions.removeIf(p -> p.startsWith(sid + " "));
                return new Answer(204, null, "");
            }
            case "PutFunctionConcurrency" -> {
                function.put("reserved", request.getInteger("ReservedConcurrentExecutions"));
                return Answer.ok(new JsonObject().put("ReservedConcurrentExecutions", function.getInteger("reserved")));
            }
            case "Invoke" -> {
                return Answer.ok(new JsonObject(invokePayload));
            }
            default -> {
                return new Answer(400, "InvalidParameterValueException", "{\"message\":\"fake: " + operation + "\"}");
            }
        }
    }

    private static String qualifier(URI uri) {
        String query = uri.getRawQuery();
        return query == null ? "" : "?" + query;
    }

    private void poll(JsonObject function) {
        if (neverActive) {
            return;
        }
        int left = function.getInteger("pollsLeft", 0);
        if (left > 0) {
            function.put("pollsLeft", left - 1);
            return;
        }
        function.put("State", "Active").put("LastUpdateStatus", "Successful");
    }

    private static JsonObject visible(JsonObject function) {
        JsonObject copy = function.copy();
        copy.remove("pollsLeft");
        copy.remove("alias");
        copy.remove("provisioned");
        copy.remove("reserved");
        return copy;
    }

    private static String operation(String method, String version, String name, String rest) {
        if (version.equals("2019-09-30")) {
            return method.equals("PUT") ? "PutProvisionedConcurrencyConfig" : "GetProvisionedConcurrencyConfig";
        }
        if (version.equals("2021-10-31")) {
            return method.equals("POST")
                    ? "CreateFunctionUrlConfig"
                    : method.equals("DELETE") ? "DeleteFunctionUrlConfig" : "GetFunctionUrlConfig";
        }
        if (name == null) {
            return method.equals("POST") ? "CreateFunction" : "ListFunctions";
        }
        return switch (method + " " + (rest.isEmpty() ? "" : rest.replaceAll("^/([a-z-]+).*$", "$1"))) {
            case "GET " -> "GetFunction";
            case "DELETE " -> "DeleteFunction";
            case "GET configuration" -> "GetFunctionConfiguration";
            case "PUT configuration" -> "UpdateFunctionConfiguration";
            case "POST versions" -> "PublishVersion";
            case "POST aliases" -> "CreateAlias";
            case "PUT aliases" -> "UpdateAlias";
            case "POST policy" -> "AddPermission";
            case "DELETE policy" -> "RemovePermission";
            case "POST invocations" -> "Invoke";
            case "PUT concurrency" -> "PutFunctionConcurrency";
            default -> "Unknown " + method + " " + rest;
        };
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
