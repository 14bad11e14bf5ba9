package io.salvo.bench.modelserver;

import static io.salvo.bench.shared.Percentiles.median;
import static io.salvo.bench.shared.Percentiles.nearestRank;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.salvo.bench.shared.BaselineSessionOptions;
import io.salvo.bench.shared.LoadAverage;
import io.salvo.bench.shared.ModelServerConnection;
import io.salvo.bench.shared.ModelServerProcess;
import io.salvo.bench.shared.SentenceRequests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Model-server benchmark (issue 4): latency of one request through HTTP versus a bare OrtSession.run in-process, and
 * cold start to ready per model. Run through bench/model-server/run.sh, which builds the server and this module and
 * prepares the models.
 *
 * <p>Warm latency: one server child process per (model, intra-op threads) with SALVO_MAX_CONCURRENT=1; requests are
 * sequential (one in flight), so the figures are service times without queueing. The in-process baseline builds its
 * own sessions with the same options (ALL_OPT, the same intra-op threads, 1 inter-op thread) on the same file and runs
 * the same token ids, while the server is idle: one session loaded before the server and one after it, alternately,
 * because the copy of the weights loaded first runs slower, whichever process holds it.
 *
 * <p>Cold start: the wall time from spawning the JVM to reading its SALVO_READY line (model loaded and warmed up),
 * with the model files already on disk and in the page cache.
 *
 * <p>Options, as system properties: bench.modelDir (required), bench.jar (the server jar), bench.warmup,
 * bench.iterations, bench.latencyModels, bench.coldRuns, bench.coldModels, bench.spinning, bench.binaryInfer.
 */
public final class ModelServerBench {

    /** The server's default is no spinning; -Dbench.spinning=true compares with ONNX Runtime's own default. */
    private static final boolean SPINNING = Boolean.getBoolean("bench.spinning");
    /**
     * -Dbench.binaryInfer=true adds a third request to every round, after /predict: /infer with the hidden state
     * returned as binary tensor data instead of JSON numbers. Off by default, so that the default rounds stay those of
     * earlier runs (a third request per round also warms the server's JIT faster).
     */
    private static final boolean BINARY_INFER = Boolean.getBoolean("bench.binaryInfer");

    private static final List<String> NOTES = new ArrayList<>();

    private ModelServerBench() {}

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(System.getProperty("bench.jar", "model-server/target/salvo-model-server.jar"));
        Path modelDir = Path.of(System.getProperty("bench.modelDir"));
        // 1,000 rounds: C2 compiles the server's request path only after ~1,000-2,000 requests, and warm latency is
        // the steady state; the cold path is what the cold-start figures measure.
        int warmup = Integer.getInteger("bench.warmup", 1000);
        int iterations = Integer.getInteger("bench.iterations", 300);
        int coldRuns = Integer.getInteger("bench.coldRuns", 3);
        List<String> latencyModels = Arrays.stream(System.getProperty("bench.latencyModels", "minilm,distilbert-shape")
                        .split(","))
                .filter(s -> !s.isBlank())
                .toList();
        List<String> coldModels = List.of(System.getProperty(
                        "bench.coldModels", "tabular-logreg,tiny-bert-shape,minilm,distilbert-shape,bert-base-shape")
                .split(","));

        System.out.printf(
                Locale.ROOT,
                "machine: %d CPUs visible to the JVM, %s %s, Java %s%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "load average at start: %s%n", LoadAverage.now());
        System.out.printf(
                Locale.ROOT,
                "sentence: \"%s\"; warm-up %d, measured %d sequential requests per row; intra-op spinning %s%n%n",
                SentenceRequests.SENTENCE,
                warmup,
                iterations,
                SPINNING ? "on" : "off");

        System.out.println("| model | intra-op threads | tokens | in-process OrtSession.run p50 / p99 (ms) "
                + "| HTTP /infer p50 / p99 (ms) | HTTP /predict p50 / p99 (ms) "
                + "| /predict model time in server p50 (ms) "
                + "| /predict HTTP+JSON+tokenize p50 (ms, % of in-process p50) | /predict total vs in-process at p50 "
                + "| /infer total vs in-process at p50 | "
                + (BINARY_INFER
                        ? "HTTP /infer binary output p50 / p99 (ms) "
                                + "| /infer binary outside the model p50 (ms, % of in-process p50) "
                                + "| /infer binary total vs in-process at p50 | "
                        : "")
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
            System.out.println("| model | model file (MB) | process start → ready, median of " + coldRuns
                    + " (ms) | all runs (ms) | model load (ms, median) | warm-up inference (ms, median) |");
            System.out.println("|---|---|---|---|---|---|");
            for (String model : coldModels) {
                coldRow(jar, modelDir, model, coldRuns);
            }
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %s%n", LoadAverage.now());
    }

    private static void latencyRow(Path jar, Path modelDir, String model, int threads, int warmup, int iterations)
            throws Exception {
        Path modelFile = modelDir.resolve(model).resolve("model.onnx");
        SentenceRequests requests = SentenceRequests.tokenize(modelDir, model);

        // The copy of the weights loaded first runs the model up to 5 % slower, whichever process holds it
        // (RESULTS.md): the in-process baseline alternates between a session loaded before the server and one loaded
        // after it.
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = Map.of();
        ModelServerProcess server = null;
        try (OrtSession.SessionOptions options = BaselineSessionOptions.create(threads, SPINNING)) {
            try (OrtSession loadedBefore = environment.createSession(modelFile.toString(), options)) {
                server = ModelServerProcess.start(
                        jar,
                        modelDir,
                        model,
                        Map.of(
                                "SALVO_INTRA_OP_THREADS", Integer.toString(threads),
                                "SALVO_MAX_CONCURRENT", "1",
                                "SALVO_INTRA_OP_SPINNING", Boolean.toString(SPINNING)));
                OrtSession loadedAfter = environment.createSession(modelFile.toString(), options);
                try (loadedAfter) {
                    boolean tokenTypes = SentenceRequests.takesTokenTypes(loadedAfter);
                    inputs = requests.tensors(environment, tokenTypes);
                    byte[] infer = requests.infer(model, tokenTypes);
                    byte[] inferBinary = requests.inferBinaryOutput(model, tokenTypes);
                    byte[] predict = SentenceRequests.predict(model);

                    // interleaved: every round runs all three paths once, so background load hits them alike
                    double[] inProcess = new double[iterations];
                    double[] inferTotal = new double[iterations];
                    double[] predictTotal = new double[iterations];
                    double[] predictOverhead = new double[iterations];
                    double[] predictServerModel = new double[iterations];
                    double[] binaryTotal = new double[iterations];
                    double[] binaryOverhead = new double[iterations];
                    double[] byCopy = new double[iterations];
                    try (ModelServerConnection http = new ModelServerConnection(server.port())) {
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
                    }
                    double baseP50 = nearestRank(inProcess, 50);
                    // the honest comparison is total vs in-process; the split by Salvo-Inference-Us shows how much of
                    // the difference is outside the model (the model time itself may differ between the two processes)
                    String binaryColumns = !BINARY_INFER
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    "%.2f / %.2f | %.2f (%.1f%%) | %+.1f%% | ",
                                    nearestRank(binaryTotal, 50),
                                    nearestRank(binaryTotal, 99),
                                    nearestRank(binaryOverhead, 50),
                                    100 * nearestRank(binaryOverhead, 50) / baseP50,
                                    100 * (nearestRank(binaryTotal, 50) - baseP50) / baseP50);
                    System.out.printf(
                            Locale.ROOT,
                            "| %s | %d | %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f "
                                    + "| %.2f (%.1f%%) | %+.1f%% | %+.1f%% | %s%s |%n",
                            model,
                            threads,
                            requests.tokenCount(),
                            baseP50,
                            nearestRank(inProcess, 99),
                            nearestRank(inferTotal, 50),
                            nearestRank(inferTotal, 99),
                            nearestRank(predictTotal, 50),
                            nearestRank(predictTotal, 99),
                            nearestRank(predictServerModel, 50),
                            nearestRank(predictOverhead, 50),
                            100 * nearestRank(predictOverhead, 50) / baseP50,
                            100 * (nearestRank(predictTotal, 50) - baseP50) / baseP50,
                            100 * (nearestRank(inferTotal, 50) - baseP50) / baseP50,
                            binaryColumns,
                            LoadAverage.oneMinute());
                    NOTES.add(String.format(
                            Locale.ROOT,
                            "%s, %d thread(s): in-process p50 %.2f ms with the copy "
                                    + "loaded before the server, %.2f ms with the one loaded after it",
                            model,
                            threads,
                            nearestRank(Arrays.stream(byCopy).filter(v -> v > 0).toArray(), 50),
                            nearestRank(
                                    Arrays.stream(byCopy)
                                            .filter(v -> v < 0)
                                            .map(v -> -v)
                                            .toArray(),
                                    50)));
                }
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
            if (server != null) {
                server.close();
            }
        }
    }

    private static void coldRow(Path jar, Path modelDir, String model, int runs) throws Exception {
        long[] wall = new long[runs];
        long[] load = new long[runs];
        long[] warm = new long[runs];
        for (int i = 0; i < runs; i++) {
            try (ModelServerProcess ready = ModelServerProcess.start(jar, modelDir, model, Map.of())) {
                wall[i] = ready.spawnToReadyMillis();
                load[i] = ready.readyField("model_load_ms");
                warm[i] = ready.readyField("warmup_ms");
            }
        }
        double megabytes =
                modelDir.resolve(model).resolve("model.onnx").toFile().length() / 1e6;
        System.out.printf(
                Locale.ROOT,
                "| %s | %.1f | %d | %s | %d | %d |%n",
                model,
                megabytes,
                median(wall),
                Arrays.toString(wall),
                median(load),
                median(warm));
    }
}
