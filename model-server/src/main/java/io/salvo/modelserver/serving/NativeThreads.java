package io.salvo.modelserver.serving;

/**
 * Threads that run native code: ONNX Runtime's environment set-up (on the model loader) and, with one intra-op
 * thread, every kernel (on the inference threads).
 */
final class NativeThreads {

    /**
     * Java's default 1 MB thread stack overflowed inside ONNX Runtime's start-up here (SIGSEGV, no hs_err), so these
     * threads get the 8 MB a native main thread has.
     */
    private static final long NATIVE_STACK_BYTES = 8L * 1024 * 1024;

    private NativeThreads() {}

    /** A daemon thread with a native-sized stack, not started. */
    static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(null, task, name, NATIVE_STACK_BYTES);
        thread.setDaemon(true);
        return thread;
    }
}
