package io.salvo.modelserver.serving;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The ONNX Runtime run options of one request. The deadline timer may terminate a run from another thread while the
 * inference thread finishes and frees the native options; the lock keeps the two from crossing.
 */
final class RunControl {

    // Under the core's name, as before this class was split from it: the server's log lines show the logger name.
    private static final Logger LOG = Logger.getLogger(ServingCore.class.getName());

    private OrtSession.RunOptions options;
    private boolean closed;

    synchronized OrtSession.RunOptions options() throws OrtException {
        if (closed) {
            throw new IllegalStateException("request already answered");
        }
        if (options == null) {
            options = new OrtSession.RunOptions();
        }
        return options;
    }

    synchronized void terminate() {
        if (!closed && options != null) {
            try {
                options.setTerminate(true);
            } catch (OrtException e) {
                LOG.log(Level.WARNING, "could not terminate a timed-out run", e);
            }
        }
    }

    synchronized void close() {
        closed = true;
        if (options != null) {
            options.close();
            options = null;
        }
    }
}
