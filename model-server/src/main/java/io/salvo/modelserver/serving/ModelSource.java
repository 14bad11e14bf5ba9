package io.salvo.modelserver.serving;

import io.salvo.modelserver.catalog.ModelCatalog;
import io.salvo.modelserver.catalog.ModelDescriptor;
import io.salvo.modelserver.catalog.ModelStore;
import io.salvo.modelserver.config.ServerConfig;
import io.salvo.modelserver.inference.LoadedModel;
import io.salvo.modelserver.inference.ModelLoader;
import io.salvo.modelserver.inference.OnnxRuntimeNatives;

/** Produces the served model: prepares its files if needed, loads it and warms it up. Called once, off the request path. */
@FunctionalInterface
public interface ModelSource {

    /** What loading cost, split so that a cold start can be explained step by step. */
    record LoadReport(LoadedModel model, long prepareMillis, long loadMillis, long warmupMillis) {}

    /** Where, inside the model directory, ONNX Runtime's native libraries are kept between starts. */
    String NATIVE_CACHE_DIRECTORY = ".native";

    LoadReport load() throws Exception;

    /** The model named in the configuration, prepared in (or read from) the configured model directory. */
    static ModelSource fromConfig(ServerConfig config) {
        return () -> {
            OnnxRuntimeNatives.useCache(config.modelDir().resolve(NATIVE_CACHE_DIRECTORY));
            ModelDescriptor descriptor = new ModelCatalog().require(config.modelName());
            ModelStore.PreparedModel prepared = new ModelStore(config.modelDir()).prepare(descriptor);
            ModelLoader.LoadResult loaded = ModelLoader.load(
                    prepared, config.intraOpThreads(), config.interOpThreads(), config.intraOpSpinning());
            return new LoadReport(loaded.model(), prepared.prepareMillis(), loaded.loadMillis(), loaded.warmupMillis());
        };
    }
}
