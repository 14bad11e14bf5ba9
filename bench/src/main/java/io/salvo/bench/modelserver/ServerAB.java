package io.salvo.bench.modelserver;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * <p>Request, client and baseline are ModelServerBench's (the shared SentenceRequests, ModelServerConnection and
 * BaselineSessionOptions, with intra-op spinning off as the server's default).
 *
 * <p>Options, as system properties: bench.modelDir and bench.jars (LABEL=JAR,LABEL=JAR...) required, bench.model,
 * bench.threads, bench.warmup, bench.iterations.
 */
public final class ServerAB {

    private ServerAB() {}

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(System.getProperty("bench.modelDir"));
        String model = System.getProperty("bench.model", "distilbert-shape");
        int threads = Integer.getInteger("bench.threads", 1);
        // 1,000 rounds: C2 compiles the server's request path only after ~1,000-2,000 requests, and warm latency is
        // the steady state; the cold path is what the cold-start figures measure.
        int warmup = Integer.getInteger("bench.warmup", 1000);
        int iterations = Integer.getInteger("bench.iterations", 300);
        Map<String, Path> jars = new LinkedHashMap<>();
        for (String entry : System.getProperty("bench.jars").split(",", -1)) {
            jars.put(entry.substring(0, entry.indexOf('=')), Path.of(entry.substring(entry.indexOf('=') + 1)));
        }

        SentenceRequests requests = SentenceRequests.tokenize(modelDir, model);

        System.out.printf(
                Locale.ROOT,
                "model %s, %d intra-op thread(s), warm-up %d, measured %d rounds; load average at start: %s%n",
                model,
                threads,
                warmup,
                iterations,
                LoadAverage.now());
        List<String> labels = new ArrayList<>(jars.keySet());
        List<ModelServerProcess> servers = new ArrayList<>();
        List<ModelServerConnection> connections = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> servers.forEach(ModelServerProcess::requestStop)));
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> inputs = Map.of();
        try (OrtSession.SessionOptions options = BaselineSessionOptions.create(threads, false)) {
            for (String label : labels) {
                ModelServerProcess server = ModelServerProcess.start(
                        jars.get(label),
                        modelDir,
                        model,
                        Map.of("SALVO_INTRA_OP_THREADS", Integer.toString(threads), "SALVO_MAX_CONCURRENT", "1"));
                servers.add(server);
                connections.add(new ModelServerConnection(server.port()));
            }
            Path modelFile = modelDir.resolve(model).resolve("model.onnx");
            try (OrtSession session = environment.createSession(modelFile.toString(), options)) {
                boolean tokenTypes = SentenceRequests.takesTokenTypes(session);
                inputs = requests.tensors(environment, tokenTypes);
                byte[] infer = requests.infer(model, tokenTypes);
                byte[] predict = SentenceRequests.predict(model);

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
                double base = nearestRank(baseline, 50);
                System.out.printf(
                        Locale.ROOT,
                        "in-process OrtSession.run p50 %.2f ms, p99 %.2f ms%n%n",
                        base,
                        nearestRank(baseline, 99));
                System.out.printf("| build | path | total p50 / p99 (ms) | model time in server p50 (ms) "
                        + "| outside the model p50 (ms, %% of in-process p50) | total vs in-process at p50 |%n");
                System.out.println("|---|---|---|---|---|---|");
                for (int path = 0; path < 2; path++) {
                    for (int server = 0; server < n; server++) {
                        double[] outside = new double[iterations];
                        for (int i = 0; i < iterations; i++) {
                            outside[i] = total[path][server][i] - inModel[path][server][i];
                        }
                        System.out.printf(
                                Locale.ROOT,
                                "| %s | %s | %.2f / %.2f | %.2f | %.2f (%.1f%%) | %+.1f%% |%n",
                                labels.get(server),
                                path == 0 ? "/infer" : "/predict",
                                nearestRank(total[path][server], 50),
                                nearestRank(total[path][server], 99),
                                nearestRank(inModel[path][server], 50),
                                nearestRank(outside, 50),
                                100 * nearestRank(outside, 50) / base,
                                100 * (nearestRank(total[path][server], 50) - base) / base);
                    }
                }
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
            for (ModelServerConnection connection : connections) {
                connection.close();
            }
            for (ModelServerProcess server : servers) {
                server.close();
            }
        }
        System.out.printf(Locale.ROOT, "%nload average at end: %s%n", LoadAverage.now());
    }
}
