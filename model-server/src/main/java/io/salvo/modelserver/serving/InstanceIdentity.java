package io.salvo.modelserver.serving;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who answered a request, for cold-start detection: a random id per process start, when the process started, how
 * long the model took to load, and how many inference requests this instance has received.
 *
 * <p>The sequence counts only {@code /infer} and {@code /predict} requests (in arrival order, whatever their outcome),
 * so platform health probes do not shift it: the first inference request an instance receives carries 1.
 */
public final class InstanceIdentity {

    public static final String INSTANCE_ID = "Salvo-Instance-Id";
    public static final String STARTED_AT = "Salvo-Instance-Started-At";
    public static final String MODEL_LOAD_MS = "Salvo-Model-Load-Ms";
    public static final String REQUEST_SEQ = "Salvo-Instance-Request-Seq";
    public static final String INFERENCE_US = "Salvo-Inference-Us";

    /** Prefixes the id when set: a platform names its instance (the pod name) so reports can join the two. */
    public static final String INSTANCE_NAME_ENV = "SALVO_INSTANCE_NAME";

    /** Volatile: renewed once after a SnapStart restore ({@link #renewAfterRestore}), read by every response. */
    private volatile String id = idFor(System.getenv(INSTANCE_NAME_ENV));

    private volatile long startedAtEpochMillis;
    private final AtomicLong inferenceRequests = new AtomicLong();
    private volatile long modelLoadMillis = -1;

    public InstanceIdentity() {
        // the JVM's own start, so the time spent starting the JVM counts as part of the instance's life
        this.startedAtEpochMillis = ProcessHandle.current()
                .info()
                .startInstant()
                .map(java.time.Instant::toEpochMilli)
                .orElse(System.currentTimeMillis());
    }

    /** {@code <name>/<random UUID>} with a name, else the random UUID: new for every process start either way. */
    static String idFor(String instanceName) {
        String random = UUID.randomUUID().toString();
        return instanceName == null || instanceName.isBlank() ? random : instanceName.strip() + "/" + random;
    }

    /**
     * This process was restored from a snapshot (Lambda SnapStart): every environment restored from it would otherwise
     * answer with the id made before the snapshot, and a cold start could not be told from a warm one by id. Takes a
     * new id, counts the instance as started at {@code restoredAtEpochMillis} and its inference requests from zero.
     */
    public void renewAfterRestore(long restoredAtEpochMillis) {
        id = idFor(System.getenv(INSTANCE_NAME_ENV));
        startedAtEpochMillis = restoredAtEpochMillis;
        inferenceRequests.set(0);
    }

    public String id() {
        return id;
    }

    public long startedAtEpochMillis() {
        return startedAtEpochMillis;
    }

    /** -1 until the model is loaded. */
    public long modelLoadMillis() {
        return modelLoadMillis;
    }

    void modelLoaded(long millis) {
        modelLoadMillis = millis;
    }

    long nextInferenceSequence() {
        return inferenceRequests.incrementAndGet();
    }

    long inferenceRequestsSoFar() {
        return inferenceRequests.get();
    }
}
