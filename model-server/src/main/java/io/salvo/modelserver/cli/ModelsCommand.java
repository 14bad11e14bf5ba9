package io.salvo.modelserver.cli;

import io.salvo.modelserver.catalog.ModelCatalog;
import io.salvo.modelserver.catalog.ModelDescriptor;
import io.salvo.modelserver.catalog.ModelStore;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.inference.OnnxRuntimeNatives;
import io.salvo.modelserver.serving.ModelSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code models list} and {@code models prepare NAME|all [--dir DIR]}: inspect and fill the on-disk model cache. */
@Command(
        name = "models",
        description = "List the models and prepare their files in the model cache.",
        mixinStandardHelpOptions = true,
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.PrepareModels.class})
public final class ModelsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static Path defaultDirectory() {
        return ServerConfig.fromEnvironment().modelDir();
    }

    @Command(name = "list", description = "List every model, whether it is prepared, and its size on disk.")
    static final class ListModels implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(
                names = "--dir",
                description = "model cache directory (default: $SALVO_MODEL_DIR or ~/.cache/salvo/models)")
        Path directory;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            ModelStore store = new ModelStore(directory != null ? directory : defaultDirectory());
            out.printf("model cache: %s%n", store.root());
            for (ModelDescriptor model : new ModelCatalog().all()) {
                String state = store.isPrepared(model)
                        ? String.format("prepared %,d bytes", sizeOf(store.directoryOf(model)))
                        : "not prepared";
                out.printf("%-18s %-24s %s%n", model.name(), state, model.description());
            }
            return 0;
        }
    }

    @Command(name = "prepare", description = "Write a model's files into the cache (no-op when already there).")
    static final class PrepareModels implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME|all", description = "a model name from `models list`, or all")
        String name;

        @Option(
                names = "--dir",
                description = "model cache directory (default: $SALVO_MODEL_DIR or ~/.cache/salvo/models)")
        Path directory;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            ModelCatalog catalog = new ModelCatalog();
            ModelStore store = new ModelStore(directory != null ? directory : defaultDirectory());
            // images bake the extracted ONNX Runtime libraries next to the models, so no instance extracts them again
            OnnxRuntimeNatives.useCache(store.root().resolve(ModelSource.NATIVE_CACHE_DIRECTORY));
            List<ModelDescriptor> models = name.equals("all") ? catalog.all() : List.of(catalog.require(name));
            for (ModelDescriptor model : models) {
                ModelStore.PreparedModel prepared = store.prepare(model);
                out.printf(
                        "%-18s %s (%,d bytes, %s)%n",
                        model.name(),
                        prepared.directory(),
                        sizeOf(prepared.directory()),
                        prepared.prepareMillis() == 0
                                ? "already prepared"
                                : "prepared in " + prepared.prepareMillis() + " ms");
                out.flush();
            }
            return 0;
        }
    }

    private static long sizeOf(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(file -> file.toFile().length())
                    .sum();
        }
    }
}
