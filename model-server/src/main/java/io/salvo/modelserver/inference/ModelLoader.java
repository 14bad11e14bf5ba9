package io.salvo.modelserver.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.salvo.modelserver.catalog.ModelKind;
import io.salvo.modelserver.catalog.ModelStore.PreparedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Opens prepared model files in ONNX Runtime and runs one warm-up inference. */
public final class ModelLoader {

    /** A loaded and warmed-up model with what each step cost. */
    public record LoadResult(LoadedModel model, long loadMillis, long warmupMillis) {}

    private ModelLoader() {}

    /**
     * Opens the prepared model in ONNX Runtime (its tokenizer loading alongside) and runs one warm-up inference.
     *
     * @param intraOpThreads threads inside one operator, per inference
     * @param interOpThreads threads across independent operators
     * @param spinning       whether idle intra-op pool threads busy-wait for the next operator
     */
    public static LoadResult load(PreparedModel prepared, int intraOpThreads, int interOpThreads, boolean spinning)
            throws IOException, OrtException {
        long start = System.nanoTime();
        // the tokenizer (tokenizer.json's 30k-entry vocabulary) loads on its own thread while ONNX Runtime builds the
        // session: the two are independent
        CompletableFuture<Optional<TextPipeline>> text = new CompletableFuture<>();
        if (prepared.descriptor().kind() == ModelKind.TEXT_ENCODER) {
            Thread tokenizerLoader = new Thread(
                    null,
                    () -> {
                        try {
                            text.complete(Optional.of(TextPipeline.load(prepared.tokenizerFile())));
                        } catch (Throwable e) {
                            text.completeExceptionally(e);
                        }
                    },
                    "tokenizer-loader",
                    8L * 1024 * 1024);
            tokenizerLoader.setDaemon(true);
            tokenizerLoader.start();
        } else {
            text.complete(Optional.empty());
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        // benchmark instances must not phone home (and on most test platforms could not)
        environment.setTelemetry(false);
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(interOpThreads);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
            session = environment.createSession(prepared.modelFile().toString(), options);
        }
        Optional<TextPipeline> pipeline;
        try {
            pipeline = text.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.close();
            throw new IOException("interrupted while loading the tokenizer", e);
        } catch (ExecutionException e) {
            session.close();
            throw new IOException("tokenizer " + prepared.tokenizerFile() + " failed to load", e.getCause());
        }
        List<String> labels =
                Files.isRegularFile(prepared.labelsFile()) ? Files.readAllLines(prepared.labelsFile()) : List.of();
        LoadedModel model = new LoadedModel(prepared.descriptor(), environment, session, pipeline, labels);
        long loaded = System.nanoTime();
        warmUp(model);
        long warmed = System.nanoTime();
        return new LoadResult(model, (loaded - start) / 1_000_000, (warmed - loaded) / 1_000_000);
    }

    /** One real inference, so the first client request does not pay for lazy allocations and kernel selection. */
    private static void warmUp(LoadedModel model) throws OrtException {
        try (OrtSession.RunOptions runOptions = new OrtSession.RunOptions()) {
            if (model.text().isPresent()) {
                model.embed(
                        List.of(model.text().get().tokenize("Salvo warms up the model with this sentence.")),
                        runOptions);
            } else {
                TensorSpec input = model.inputs().get(0);
                int features = (int) Math.max(1, input.shape()[input.shape().length - 1]);
                float[] zeros = new float[features];
                model.run(
                        List.of(new TensorData(input.name(), Datatype.FP32, new long[] {1, features}, zeros)),
                        Set.of(),
                        runOptions);
            }
        }
    }
}
