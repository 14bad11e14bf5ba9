package io.salvo.bench.modelserver;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.inference.WordPieceTokenizer;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Interleaved A/B of model-server builds: one server process per build, all against the same in-process
 * OrtSession.run baseline, so that background load on a shared machine hits every build alike. Each round runs the
 * baseline once, then /infer and /predict on every server, starting with a different server each round (no build
 * always goes first). Run through bench/model-server/ab.sh, which builds the builds.
 *
 * <p>Servers start in the order of {@code bench.jars}, then the baseline session is built. The copy of the weights
 * loaded first tends to run the model slower (up to ~5 % here), which moves the total-vs-in-process column but not
 * the outside-the-model one; compare builds by the latter, or put the build under test first.
 *
 * <p>Request, client and baseline are those of ModelServerBench (same sentence, same token ids, same session options,
 * one keep-alive socket per server with TCP_NODELAY and one write per request).
 */
public final class ServerAB {

    private static final Pattern READY = Pattern.compile("SALVO_READY port=(\\d+)");
    private static final String SENTENCE = "Salvo measures how long a serverless model server takes to answer its first request.";

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
        Path modelDir = Path.of(System.getProperty("bench.modelDir"));
        String model = System.getProperty("bench.model", "distilbert-shape");
        int threads = Integer.getInteger("bench.threads", 1);
        // 1,000 rounds: C2 compiles the server's request path only after ~1,000-2,000 requests, and warm latency is
        // the steady state; the cold path is what the cold-start figures measure.
        int warmup = Integer.getInteger("bench.warmup", 1000);
        int iterations = Integer.getInteger("bench.iterations", 300);
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String entry : System.getProperty("bench.jars").split(",")) {
            jars.put(entry.substring(0, entry.indexOf('=')), Path.of(entry.substring(entry.indexOf('=') + 1)));
        }

        long[] ids = WordPieceTokenizer.load(modelDir.resolve(model).resolve("tokenizer.json")).encode(SENTENCE);
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1);

        System.out.printf(Locale.ROOT, "model %s, %d intra-op thread(s), warm-up %d, measured %d rounds; load average at start: %s%n",
                model, threads, warmup, iterations, loadAverage());
        List<String> labels = new ArrayList<>(jars.keySet());
        List<Process> servers = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> servers.forEach(Process::destroy)));
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            for (String label : labels) {
                Process server = start(jars.get(label), modelDir, model, threads);
                servers.add(server);
                connections.add(new Connection(port(server, label)));
            }
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            try (OrtSession session = environment.createSession(modelDir.resolve(model).resolve("model.onnx").toString(), options)) {
                long[] shape = {1, ids.length};
                inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
                inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
                boolean types = session.getInputNames().contains("token_type_ids");
                if (types) {
                    inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape));
                }
                String shapeText = "[1," + ids.length + "]";
                byte[] infer = post("/v2/models/" + model + "/infer", "{\"inputs\":[" + tensor("input_ids", shapeText, ids) + ","
                        + tensor("attention_mask", shapeText, mask)
                        + (types ? "," + tensor("token_type_ids", shapeText, new long[ids.length]) : "") + "]}");
                byte[] predict = post("/v2/models/" + model + "/predict", "{\"inputs\":[\"" + SENTENCE + "\"]}");

                int n = labels.size();
                double[] baseline = new double[iterations];
                double[][][] total = new double[2][n][iterations];
                double[][][] inModel = new double[2][n][iterations];
                for (int i = -warmup; i < iterations; i++) {
                    long start = System.nanoTime();
                    session.run(inputs).close();
                    double runMillis = (System.nanoTime() - start) / 1e6;
                    for (int path = 0; path < 2; path++) {
                        for (int k = 0; k < n; k++) {
                            int server = Math.floorMod(i + k, n);
                            start = System.nanoTime();
                            long micros = connections.get(server).send(path == 0 ? infer : predict);
                            double millis = (System.nanoTime() - start) / 1e6;
                            if (i >= 0) {
                                total[path][server][i] = millis;
                                inModel[path][server][i] = micros / 1e3;
                            }
                        }
                    }
                    if (i >= 0) {
                        baseline[i] = runMillis;
                    }
                }
                double base = percentile(baseline, 50);
                System.out.printf(Locale.ROOT, "in-process OrtSession.run p50 %.2f ms, p99 %.2f ms%n%n", base, percentile(baseline, 99));
                System.out.println("| build | path | total p50 / p99 (ms) | model time in server p50 (ms) | outside the model p50 (ms, % of in-process p50) | total vs in-process at p50 |");
                System.out.println("|---|---|---|---|---|---|");
                for (int path = 0; path < 2; path++) {
                    for (int server = 0; server < n; server++) {
                        double[] outside = new double[iterations];
                        for (int i = 0; i < iterations; i++) {
                            outside[i] = total[path][server][i] - inModel[path][server][i];
                        }
                        System.out.printf(Locale.ROOT, "| %s | %s | %.2f / %.2f | %.2f | %.2f (%.1f%%) | %+.1f%% |%n",
                                labels.get(server), path == 0 ? "/infer" : "/predict",
                                percentile(total[path][server], 50), percentile(total[path][server], 99),
                                percentile(inModel[path][server], 50),
                                percentile(outside, 50), 100 * percentile(outside, 50) / base,
                                100 * (percentile(total[path][server], 50) - base) / base);
                    }
                }
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
            for (Connection connection : connections) {
                connection.close();
            }
            for (Process server : servers) {
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %s%n", loadAverage());
    }

    private static Process start(Path jar, Path modelDir, String model, int threads) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-jar", jar.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PORT", "0");
        builder.environment().put("SALVO_MODEL", model);
        builder.environment().put("SALVO_MODEL_DIR", modelDir.toString());
        builder.environment().put("SALVO_INTRA_OP_THREADS", Integer.toString(threads));
        builder.environment().put("SALVO_MAX_CONCURRENT", "1");
        return builder.start();
    }

    private static int port(Process server, String label) throws Exception {
        BufferedReader stdout = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (IOException e) {
                return null;
            }
        }).get(120, TimeUnit.SECONDS);
        Matcher m = line == null ? null : READY.matcher(line);
        if (m == null || !m.find()) {
            throw new IllegalStateException(label + " did not become ready; first line: " + line);
        }
        return Integer.parseInt(m.group(1));
    }

    /** As in ModelServerBench: one keep-alive socket, TCP_NODELAY, each request in one write. */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Connection(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        /** Sends a prepared request and returns the Salvo-Inference-Us header. */
        long send(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String status = readLine();
            int length = -1;
            long inferenceMicros = -1;
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    length = Integer.parseInt(value);
                } else if (name.equals("salvo-inference-us")) {
                    inferenceMicros = Long.parseLong(value);
                }
            }
            byte[] body = in.readNBytes(length);
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException(status + ": " + new String(body, StandardCharsets.UTF_8));
            }
            return inferenceMicros;
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new EOFException("connection closed");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static String tensor(String name, String shape, long[] values) {
        return "{\"name\":\"" + name + "\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":"
                + Arrays.toString(values).replace(" ", "") + "}";
    }

    private static byte[] post(String path, String body) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + content.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(head, head.length + content.length);
        System.arraycopy(content, 0, request, head.length, content.length);
        return request;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Nearest-rank percentile. */
    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
