import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
 * own session with the same options (ALL_OPT, the same intra-op threads, 1 inter-op thread) on the same file and runs
 * the same token ids, while the server is idle.
 *
 * <p>Cold start: the wall time from spawning the JVM to reading its SALVO_READY line (model loaded and warmed up),
 * with the model files already on disk and in the page cache.
 */
public final class ModelServerBench {

    private static final Pattern READY = Pattern.compile(
            "SALVO_READY port=(\\d+) instance=(\\S+) model=(\\S+) model_load_ms=(\\d+) warmup_ms=(\\d+) prepare_ms=(\\d+) startup_ms=(\\d+)");
    private static final String SENTENCE = "Salvo measures how long a serverless model server takes to answer its first request.";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The server's default is no spinning; -Dbench.spinning=true compares with ONNX Runtime's own default. */
    private static final boolean SPINNING = Boolean.getBoolean("bench.spinning");

    record Ready(Process process, int port, long wallMillis, long loadMillis, long warmupMillis, long startupMillis) {}

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
        Path jar = Path.of(System.getProperty("bench.jar", "model-server/target/salvo-model-server.jar"));
        Path modelDir = Path.of(System.getProperty("bench.modelDir"));
        int warmup = Integer.getInteger("bench.warmup", 50);
        int iterations = Integer.getInteger("bench.iterations", 300);
        int coldRuns = Integer.getInteger("bench.coldRuns", 3);
        List<String> latencyModels = List.of(System.getProperty("bench.latencyModels", "minilm,distilbert-shape").split(","));
        List<String> coldModels = List.of(System.getProperty("bench.coldModels",
                "tabular-logreg,tiny-bert-shape,minilm,distilbert-shape,bert-base-shape").split(","));

        System.out.printf(Locale.ROOT, "machine: %d CPUs visible to the JVM, %s %s, Java %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "sentence: \"%s\"; warm-up %d, measured %d sequential requests per row; intra-op spinning %s%n%n",
                SENTENCE, warmup, iterations, SPINNING ? "on" : "off");

        System.out.println("| model | intra-op threads | tokens | in-process OrtSession.run p50 / p99 (ms) | HTTP /infer p50 / p99 (ms) | HTTP /predict p50 / p99 (ms) | /infer overhead at p50 | /predict overhead at p50 |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String model : latencyModels) {
            for (int threads : new int[] {1, 2}) {
                latencyRow(jar, modelDir, model, threads, warmup, iterations);
            }
        }

        System.out.println();
        System.out.println("| model | model file (MB) | process start → ready, median of " + coldRuns + " (ms) | all runs (ms) | model load (ms, median) | warm-up inference (ms, median) |");
        System.out.println("|---|---|---|---|---|---|");
        for (String model : coldModels) {
            coldRow(jar, modelDir, model, coldRuns);
        }
    }

    private static void latencyRow(Path jar, Path modelDir, String model, int threads, int warmup, int iterations) throws Exception {
        Path modelFile = modelDir.resolve(model).resolve("model.onnx");
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(modelDir.resolve(model).resolve("tokenizer.json"),
                Map.of("padding", "false", "truncation", "false"));
        long[] ids = tokenizer.encode(SENTENCE).getIds();
        tokenizer.close();

        // in-process baseline first, with no server running
        double[] inProcess;
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", SPINNING ? "1" : "0");
            try (OrtSession session = environment.createSession(modelFile.toString(), options)) {
                long[] shape = {1, ids.length};
                long[] mask = new long[ids.length];
                Arrays.fill(mask, 1);
                Map<String, OnnxTensor> inputs = new HashMap<>();
                inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
                inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
                if (session.getInputNames().contains("token_type_ids")) {
                    inputs.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[ids.length]), shape));
                }
                for (int i = 0; i < warmup; i++) {
                    session.run(inputs).close();
                }
                inProcess = new double[iterations];
                for (int i = 0; i < iterations; i++) {
                    long start = System.nanoTime();
                    session.run(inputs).close();
                    inProcess[i] = (System.nanoTime() - start) / 1e6;
                }
                for (OnnxTensor tensor : inputs.values()) {
                    tensor.close();
                }
            }
        }

        Ready server = start(jar, modelDir, model, Map.of("SALVO_INTRA_OP_THREADS", Integer.toString(threads),
                "SALVO_MAX_CONCURRENT", "1", "SALVO_INTRA_OP_SPINNING", Boolean.toString(SPINNING)));
        try {
            String base = "http://127.0.0.1:" + server.port() + "/v2/models/" + model;
            String idList = Arrays.toString(ids).replace(" ", "");
            String maskList = Arrays.toString(fill(ids.length, 1)).replace(" ", "");
            String typeList = Arrays.toString(fill(ids.length, 0)).replace(" ", "");
            String shape = "[1," + ids.length + "]";
            boolean types = get(base).contains("token_type_ids");
            String inferBody = "{\"inputs\":["
                    + "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + idList + "},"
                    + "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + maskList + "}"
                    + (types ? ",{\"name\":\"token_type_ids\",\"datatype\":\"INT64\",\"shape\":" + shape + ",\"data\":" + typeList + "}" : "")
                    + "]}";
            String predictBody = "{\"inputs\":[\"" + SENTENCE + "\"]}";
            double[] infer = measure(base + "/infer", inferBody, warmup, iterations);
            double[] predict = measure(base + "/predict", predictBody, warmup, iterations);
            double baseP50 = percentile(inProcess, 50);
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %+.1f%% | %+.1f%% |%n",
                    model, threads, ids.length, baseP50, percentile(inProcess, 99),
                    percentile(infer, 50), percentile(infer, 99), percentile(predict, 50), percentile(predict, 99),
                    100 * (percentile(infer, 50) - baseP50) / baseP50, 100 * (percentile(predict, 50) - baseP50) / baseP50);
        } finally {
            stop(server);
        }
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

    private static double[] measure(String url, String body, int warmup, int iterations) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        for (int i = 0; i < warmup; i++) {
            send(request);
        }
        double[] millis = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            send(request);
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        return millis;
    }

    private static void send(HttpRequest request) throws Exception {
        HttpResponse<byte[]> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    private static String get(String url) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
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
