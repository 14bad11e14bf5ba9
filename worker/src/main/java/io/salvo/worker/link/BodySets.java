package io.salvo.worker.link;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.BodyChunk;
import io.salvo.proto.v1.BodySet;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Request bodies the coordinator sent in {@link BodyChunk}s, reassembled, checked against their SHA-256 and kept by
 * it, so that assignments naming them by digest get them back. Chunks of one set arrive in order on one stream; a
 * set that starts again (a new stream) replaces the half-received one.
 *
 * <p>Not thread-safe: the link thread owns it.
 */
final class BodySets {

    private static final Logger LOG = Logger.getLogger(BodySets.class.getName());

    /** A run's sets stay while its successor starts; older ones go. */
    private static final int KEEP = 2;
    /** Far above any plan's bodies; refuses a corrupt size before allocating it. */
    static final long MAX_SET_BYTES = 256L * 1024 * 1024;

    private final Map<ByteString, List<ByteString>> complete = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteString, List<ByteString>> eldest) {
            return size() > KEEP;
        }
    };
    private ByteString assembling;
    private byte[] buffer;
    private int received;

    void accept(BodyChunk chunk) {
        if (chunk.getOffset() == 0) {
            if (chunk.getTotalBytes() > MAX_SET_BYTES) {
                LOG.log(Level.WARNING, "run {0}: ignoring request bodies of {1} bytes (more than {2})", new Object[] {
                    chunk.getRunId(), chunk.getTotalBytes(), MAX_SET_BYTES
                });
                assembling = null;
                return;
            }
            assembling = chunk.getBodySetSha256();
            buffer = new byte[(int) chunk.getTotalBytes()];
            received = 0;
        }
        if (assembling == null
                || !assembling.equals(chunk.getBodySetSha256())
                || chunk.getOffset() != received
                || received + chunk.getData().size() > buffer.length) {
            LOG.log(Level.WARNING, "run {0}: request-body chunk out of sequence (offset {1}); dropped", new Object[] {
                chunk.getRunId(), chunk.getOffset()
            });
            assembling = null;
            return;
        }
        chunk.getData().copyTo(buffer, received);
        received += chunk.getData().size();
        if (received < buffer.length) {
            return;
        }
        ByteString digest = assembling;
        assembling = null;
        if (!MessageDigest.isEqual(sha256(buffer), digest.toByteArray())) {
            LOG.log(Level.WARNING, "run {0}: request bodies do not match their digest; dropped", chunk.getRunId());
            return;
        }
        try {
            complete.put(digest, BodySet.parseFrom(buffer).getBodiesList());
        } catch (InvalidProtocolBufferException e) {
            LOG.log(Level.WARNING, "run {0}: request bodies do not decode: {1}", new Object[] {
                chunk.getRunId(), e.getMessage()
            });
        } finally {
            buffer = null;
        }
    }

    /**
     * The assignment with its plan's bodies in place: as it came when it names none, else with the set it names.
     *
     * @throws IllegalStateException when the named set has not been received
     */
    Assignment resolve(Assignment assignment) {
        if (assignment.getBodySetSha256().isEmpty()) {
            return assignment;
        }
        List<ByteString> bodies = complete.get(assignment.getBodySetSha256());
        if (bodies == null) {
            throw new IllegalStateException("run " + assignment.getRunId()
                    + ": the assignment names request bodies this worker has not received");
        }
        var plan = assignment.getPlan().toBuilder();
        plan.getRequestBuilder().clearBodies().addAllBodies(bodies);
        return assignment.toBuilder().setPlan(plan).build();
    }

    /** How many complete sets are kept. */
    int size() {
        return complete.size();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
