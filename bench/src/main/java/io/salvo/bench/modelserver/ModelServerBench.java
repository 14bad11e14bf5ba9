package io.salvo.bench.modelserver;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.inference.WordPieceTokenizer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Model-server benchmark (issue 4): latency of one request through HTTP versus a bare OrtSession.run in-process, and
 * cold start to ready per model. Run through bench/model-server/run.sh, which builds the module and prepares the models.
 *
 * <p>Warm latency: one server child process per (model, intra-op threads) with SALVO_MAX_CONCURRENT=1; requests are
 * sequential (one in flight), so the figures are service times without queueing. The in-process baseline builds its
 * own sessions with the same options (ALL_OPT, the same intra-op threads, 1 inter-op thread) on the same file and runs
 * the same token ids, while the server is idle: one session loaded before the server and one after it, alternately,
 * because the copy of the weights loaded first runs slower, whichever process holds it.
 *
 * <p>Cold start: the wall time from spawning the JVM to reading its SALVO_READY line (model loaded and warmed up),
 * with the model files already on disk and in the page cache.
 */
public final class ModelServerBench {

    private static final Pattern READY = Pattern.compile(
            "SALVO_READY port=(\\d+) instance=(\\S+) model=(\\S+) model_load_ms=(\\d+) warmup_ms=(\\d+) prepare_ms=(\\d+) startup_ms=(\\d+)");
    private static final String SENTENCE = "Salvo measures how long a serverless model server takes to answer its first request.";

    /** The server's default is no spinning; -Dbench.spinning=true compares with ONNX Runtime's own default. */
    private static final boolean SPINNING = Boolean.getBoolean("bench.spinning");
    /**
     * -Dbench.binaryInfer=true adds a third request to every round, after /predict: /infer with the hidden state
     * returned as binary tensor data instead of JSON numbers. Off by default, so that the default rounds stay those of
     * earlier runs (a third request per round also warms the server's JIT faster).
     */
    private static final boolean BINARY_INFER = Boolean.getBoolean("bench.binaryInfer");

    record Ready(Process process, int port, long wallMillis, long loadMillis, long warmupMillis, long startupMillis) {}

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
        Path jar = Path.of(System.getProperty("bench.jar", "model-server/target/salvo-model-server.jar"));
        Path modelDir = Path.of(System.getProperty("bench.modelDir"));
        // 1,000 rounds: C2 compiles the server's request path only after ~1,000-2,000 requests, and warm latency is
        // the steady state; the cold path is what the cold-start figures measure.
        int warmup = Integer.getInteger("bench.warmup", 1000);
        int iterations = Integer.getInteger("bench.iterations", 300);
        int coldRuns = Integer.getInteger("bench.coldRuns", 3);
        List<String> latencyModels = Arrays.stream(System.getProperty("bench.latencyModels", "minilm,distilbert-shape").split(",")).filter(s -> !s.isBlank()).toList();
        List<String> coldModels = List.of(System.getProperty("bench.coldModels",
                "tabular-logreg,tiny-bert-shape,minilm,distilbert-shape,bert-base-shape").split(","));

        System.out.printf(Locale.ROOT, "machine: %d CPUs visible to the JVM, %s %s, Java %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "load average at start: %s%n", loadAverage());
        System.out.printf(Locale.ROOT, "sentence: \"%s\"; warm-up %d, measured %d sequential requests per row; intra-op spinning %s%n%n",
                SENTENCE, warmup, iterations, SPINNING ? "on" : "off");

        System.out.println("| model | intra-op threads | tokens | in-process OrtSession.run p50 / p99 (ms) | HTTP /infer p50 / p99 (ms) | HTTP /predict p50 / p99 (ms) | /predict model time in server p50 (ms) | /predict HTTP+JSON+tokenize p50 (ms, % of in-process p50) | /predict total vs in-process at p50 | /infer total vs in-process at p50 | "
                + (BINARY_INFER ? "HTTP /infer binary output p50 / p99 (ms) | /infer binary outside the model p50 (ms, % of in-process p50) | /infer binary total vs in-process at p50 | " : "")
                + "load (1 min) after the row |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|" + (BINARY_INFER ? "---|---|---|" : "") + "---|");
        for (String model : latencyModels) {
            for (int threads : new int[] {1, 2}) {
                latencyRow(jar, modelDir, model, threads, warmup, iterations);
            }
        }

        System.out.println();
        NOTES.forEach(System.out::println);
        if (coldRuns > 0) {
            System.out.println();
            System.out.println("| model | model file (MB) | process start → ready, median of " + coldRuns + " (ms) | all runs (ms) | model load (ms, median) | warm-up inference (ms, median) |");
            System.out.println("|---|---|---|---|---|---|");
            for (String model : coldModels) {
                coldRow(jar, modelDir, model, coldRuns);
            }
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %s%n", loadAverage());
    }

    private static final List<String> NOTES = new ArrayList<>();

    private static void latencyRow(Path jar, Path modelDir, String model, int threads, int warmup, int iterations) throws Exception {
        Path modelFile = modelDir.resolve(model).resolve("model.onnx");
        long[] ids = WordPieceTokenizer.load(modelDir.resolve(model).resolve("tokenizer.json")).encode(SENTENCE);

        // The copy of the weights loaded first runs the model up to 5 % slower, whichever process holds it (RESULTS.md):
        // the in-process baseline alternates between a session loaded before the server and one loaded after it.
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        Ready server = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", SPINNING ? "1" : "0");
            try (OrtSession loadedBefore = environment.createSession(modelFile.toString(), options)) {
                server = start(jar, modelDir, model, Map.of("SALVO_INTRA_OP_THREADS", Integer.toString(threads),
                        "SALVO_MAX_CONCURRENT", "1", "SALVO_INTRA_OP_SPINNING", Boolean.toString(SPINNING)));
                OrtSession loadedAfter = environment.createSession(modelFile.toString(), options);
                try (loadedAfter) {
                    long[] shape = {1, ids.length};
                    long[] mask = fill(ids.length, 1);
                    inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
                    inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
                    boolean types = loadedAfter.getInputNames().contains("token_type_ids");
                    if (types) {
                        inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape));
                    }
                    String base = "/v2/models/" + model;
                    String shapeText = "[1," + ids.length + "]";
                    String inferBody = "{\"inputs\":["
                            + tensor("input_ids", shapeText, ids) + "," + tensor("attention_mask", shapeText, mask)
                            + (types ? "," + tensor("token_type_ids", shapeText, new long[ids.length]) : "") + "]}";
                    byte[] infer = post(base + "/infer", inferBody);
                    byte[] inferBinary = post(base + "/infer", inferBody.substring(0, inferBody.length() - 1)
                            + ",\"parameters\":{\"binary_data_output\":true}}");
                    byte[] predict = post(base + "/predict", "{\"inputs\":[\"" + SENTENCE + "\"]}");

                    // interleaved: every round runs all three paths once, so background load hits them alike
                    Connection http = new Connection(server.port());
                    double[] inProcess = new double[iterations];
                    double[] inferTotal = new double[iterations];
                    double[] predictTotal = new double[iterations];
                    double[] predictOverhead = new double[iterations];
                    double[] predictServerModel = new double[iterations];
                    double[] binaryTotal = new double[iterations];
                    double[] binaryOverhead = new double[iterations];
                    double[] byCopy = new double[iterations];
                    for (int i = -warmup; i < iterations; i++) {
                        OrtSession copy = (i & 1) == 0 ? loadedBefore : loadedAfter;
                        long start = System.nanoTime();
                        copy.run(inputs).close();
                        double runMillis = (System.nanoTime() - start) / 1e6;
                        start = System.nanoTime();
                        http.send(infer);
                        double inferMillis = (System.nanoTime() - start) / 1e6;
                        start = System.nanoTime();
                        long inferenceMicros = http.send(predict);
                        double predictMillis = (System.nanoTime() - start) / 1e6;
                        double modelMillis = inferenceMicros / 1e3;
                        if (BINARY_INFER) {
                            start = System.nanoTime();
                            long binaryMicros = http.send(inferBinary);
                            double binaryMillis = (System.nanoTime() - start) / 1e6;
                            if (i >= 0) {
                                binaryTotal[i] = binaryMillis;
                                binaryOverhead[i] = binaryMillis - binaryMicros / 1e3;
                            }
                        }
                        if (i >= 0) {
                            inProcess[i] = runMillis;
                            byCopy[i] = (i & 1) == 0 ? runMillis : -runMillis;
                            inferTotal[i] = inferMillis;
                            predictTotal[i] = predictMillis;
                            predictServerModel[i] = modelMillis;
                            predictOverhead[i] = predictMillis - modelMillis;
                        }
                    }
                    http.close();
                    double baseP50 = percentile(inProcess, 50);
                    // the honest comparison is total vs in-process; the split by Salvo-Inference-Us shows how much of the
                    // difference is outside the model (the model time itself may differ between the two processes)
                    String binaryColumns = !BINARY_INFER ? "" : String.format(Locale.ROOT, "%.2f / %.2f | %.2f (%.1f%%) | %+.1f%% | ",
                            percentile(binaryTotal, 50), percentile(binaryTotal, 99), percentile(binaryOverhead, 50),
                            100 * percentile(binaryOverhead, 50) / baseP50, 100 * (percentile(binaryTotal, 50) - baseP50) / baseP50);
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f (%.1f%%) | %+.1f%% | %+.1f%% | %s%s |%n",
                            model, threads, ids.length, baseP50, percentile(inProcess, 99),
                            percentile(inferTotal, 50), percentile(inferTotal, 99),
                            percentile(predictTotal, 50), percentile(predictTotal, 99),
                            percentile(predictServerModel, 50),
                            percentile(predictOverhead, 50), 100 * percentile(predictOverhead, 50) / baseP50,
                            100 * (percentile(predictTotal, 50) - baseP50) / baseP50,
                            100 * (percentile(inferTotal, 50) - baseP50) / baseP50,
                            binaryColumns, loadAverage().split(" ")[0]);
                    NOTES.add(String.format(Locale.ROOT, "%s, %d thread(s): in-process p50 %.2f ms with the copy loaded before the server, %.2f ms with the one loaded after it",
                            model, threads, percentile(Arrays.stream(byCopy).filter(v -> v > 0).toArray(), 50),
                            percentile(Arrays.stream(byCopy).filter(v -> v < 0).map(v -> -v).toArray(), 50)));
                }
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
            if (server != null) {
                stop(server);
            }
        }
    }

    private static String tensor(String name, String shape, long[] values) {
        return "{\"name\":\"" + name + "\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":"
                + Arrays.toString(values).replace(" ", "") + "}";
    }

    private static void coldRow(Path jar, Path modelDir, String model, int runs) throws Exception {
        long[] wall = new long[runs];
        long[] load = new long[runs];
        long[] warm = new long[runs];
        for (int i = 0; i < runs; i++) {
            Ready ready = start(jar, modelDir, model, Map.of());
            wall[i] = ready.wallMillis();
            load[i] = ready.loadMillis();
            warm[i] = ready.warmupMillis();
            stop(ready);
        }
        double megabytes = modelDir.resolve(model).resolve("model.onnx").toFile().length() / 1e6;
        System.out.printf(Locale.ROOT, "| %s | %.1f | %d | %s | %d | %d |%n", model, megabytes, median(wall),
                Arrays.toString(wall), median(load), median(warm));
    }

    private static Ready start(Path jar, Path modelDir, String model, Map<String, String> env) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-jar", jar.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PORT", "0");
        builder.environment().put("SALVO_MODEL", model);
        builder.environment().put("SALVO_MODEL_DIR", modelDir.toString());
        builder.environment().putAll(env);
        long spawned = System.nanoTime();
        Process process = builder.start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (Exception e) {
                return null;
            }
        }).get(120, TimeUnit.SECONDS);
        long wall = (System.nanoTime() - spawned) / 1_000_000;
        Matcher m = line == null ? null : READY.matcher(line);
        if (m == null || !m.find()) {
            process.destroyForcibly();
            throw new IllegalStateException(model + " did not become ready; first line: " + line);
        }
        return new Ready(process, Integer.parseInt(m.group(1)), wall, Long.parseLong(m.group(4)),
                Long.parseLong(m.group(5)), Long.parseLong(m.group(7)));
    }

    private static void stop(Ready ready) throws InterruptedException {
        ready.process().destroy();
        if (!ready.process().waitFor(20, TimeUnit.SECONDS)) {
            ready.process().destroyForcibly();
        }
    }

    /**
     * A minimal HTTP/1.1 keep-alive client over one socket with TCP_NODELAY, writing each request in one write.
     * java.net.HttpURLConnection writes headers and body separately without TCP_NODELAY, and Nagle's algorithm then
     * added ~1.2 ms to every POST on loopback here: that is the client's cost, not the server's, so it is kept out.
     */
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

    private static byte[] post(String path, String body) {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + content.length + "\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(headBytes, headBytes.length + content.length);
        System.arraycopy(content, 0, request, headBytes.length, content.length);
        return request;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static long[] fill(int length, long value) {
        long[] values = new long[length];
        Arrays.fill(values, value);
        return values;
    }

    /** Nearest-rank percentile. */
    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
