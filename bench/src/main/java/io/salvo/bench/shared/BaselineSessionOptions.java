package io.salvo.bench.shared;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * Session options for the in-process OrtSession.run baseline: the ones the server's ModelLoader sets (ALL_OPT, the
 * given intra-op threads, one inter-op thread, spinning as asked), so that the baseline and the server run the same
 * kernels and the difference between them is what serving over HTTP adds.
 */
public final class BaselineSessionOptions {

    private BaselineSessionOptions() {}

    /** New options; the caller closes them. */
    public static OrtSession.SessionOptions create(int intraOpThreads, boolean spinning) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }
}
