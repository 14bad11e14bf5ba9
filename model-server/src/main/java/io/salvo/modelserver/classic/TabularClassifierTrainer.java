package io.salvo.modelserver.classic;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.ONNXExportable;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.evaluation.LabelEvaluation;
import org.tribuo.classification.evaluation.LabelEvaluator;
import org.tribuo.classification.sgd.linear.LogisticRegressionTrainer;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Trains the classic ML model: a multinomial logistic regression (Tribuo, SGD) on a generated tabular data set,
 * exported with Tribuo's own ONNX export.
 *
 * <p>The data set is {@value #CLASSES} classes in {@value #FEATURES} dimensions: each class is an isotropic Gaussian
 * (standard deviation 1) around a seeded random centre drawn from [-2, 2] per feature, so classes overlap a little
 * and accuracy is high but below 100 %. Everything is seeded, so the exported model is the same on every machine.
 */
public final class TabularClassifierTrainer {

    public static final int FEATURES = 8;
    public static final int CLASSES = 3;
    private static final int TRAINING_ROWS_PER_CLASS = 1000;
    private static final int TEST_ROWS_PER_CLASS = 300;
    // held in a field: java.util.logging keeps loggers weakly, and a collected logger forgets its level
    private static final java.util.logging.Logger TRIBUO_LOG = java.util.logging.Logger.getLogger("org.tribuo");

    /** What was trained: the class names in the model's output order and the held-out accuracy. */
    public record TrainingSummary(List<String> labelsInOutputOrder, double heldOutAccuracy) {}

    private TabularClassifierTrainer() {}

    /** Feature names sort in column order, which is the order Tribuo's ONNX export expects the input columns in. */
    public static String featureName(int column) {
        return String.format("feature_%02d", column);
    }

    public static TrainingSummary trainAndExport(long seed, Path onnxFile) throws IOException {
        // Tribuo reports SGD progress through java.util.logging every 1000 iterations; keep the prepare output short
        TRIBUO_LOG.setLevel(java.util.logging.Level.WARNING);
        SplittableRandom random = new SplittableRandom(seed);
        double[][] centres = new double[CLASSES][FEATURES];
        for (double[] centre : centres) {
            for (int f = 0; f < FEATURES; f++) {
                centre[f] = random.nextDouble(-2.0, 2.0);
            }
        }
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> training =
                generate("salvo tabular training set", labels, centres, TRAINING_ROWS_PER_CLASS, random);
        MutableDataset<Label> test = generate("salvo tabular test set", labels, centres, TEST_ROWS_PER_CLASS, random);

        Model<Label> model = new LogisticRegressionTrainer().train(training);
        LabelEvaluation evaluation = new LabelEvaluator().evaluate(model, test);

        if (!(model instanceof ONNXExportable exportable)) {
            throw new IllegalStateException(
                    "Tribuo model " + model.getClass().getName() + " cannot be exported to ONNX");
        }
        exportable.saveONNXModel("io.salvo", 1, onnxFile);

        List<String> labelOrder = new ArrayList<>();
        for (int id = 0; id < model.getOutputIDInfo().size(); id++) {
            labelOrder.add(model.getOutputIDInfo().getOutput(id).getLabel());
        }
        return new TrainingSummary(labelOrder, evaluation.accuracy());
    }

    private static MutableDataset<Label> generate(
            String description, LabelFactory labels, double[][] centres, int rowsPerClass, SplittableRandom random) {
        MutableDataset<Label> dataset =
                new MutableDataset<>(new SimpleDataSourceProvenance(description, labels), labels);
        String[] names = new String[FEATURES];
        for (int f = 0; f < FEATURES; f++) {
            names[f] = featureName(f);
        }
        for (int row = 0; row < rowsPerClass; row++) {
            for (int label = 0; label < CLASSES; label++) {
                double[] values = new double[FEATURES];
                for (int f = 0; f < FEATURES; f++) {
                    values[f] = centres[label][f] + random.nextGaussian();
                }
                dataset.add(new ArrayExample<>(new Label("class-" + label), names, values));
            }
        }
        return dataset;
    }
}
