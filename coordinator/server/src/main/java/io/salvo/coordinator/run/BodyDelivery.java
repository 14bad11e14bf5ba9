package io.salvo.coordinator.run;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.BodyChunk;
import io.salvo.proto.v1.BodySet;
import io.salvo.proto.v1.CoordinatorMessage;
import io.salvo.proto.v1.RunPlan;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's request bodies, sent to each worker stream once and named by digest in every assignment after: a plan's
 * bodies may be megabytes, and a re-slice re-sends an assignment to every worker, so carrying them in each would
 * multiply them by the workers at every re-slice. Chunks stay well under gRPC's default 4 MiB message limit.
 *
 * <p>Immutable; built once per run.
 */
final class BodyDelivery {

    /** Bytes of encoded bodies per chunk. */
    static final int CHUNK_BYTES = 1 << 20;

    private final ByteString digest;
    private final List<CoordinatorMessage> chunks;
    private final RunPlan planWithoutBodies;

    private BodyDelivery(ByteString digest, List<CoordinatorMessage> chunks, RunPlan planWithoutBodies) {
        this.digest = digest;
        this.chunks = chunks;
        this.planWithoutBodies = planWithoutBodies;
    }

    /** The delivery of {@code plan}'s bodies, or null when it has none (its assignments carry the plan as is). */
    static BodyDelivery of(String runId, RunPlan plan) {
        if (plan.getRequest().getBodiesCount() == 0) {
            return null;
        }
        ByteString encoded = BodySet.newBuilder()
                .addAllBodies(plan.getRequest().getBodiesList())
                .build()
                .toByteString();
        ByteString digest = ByteString.copyFrom(sha256(encoded));
        List<CoordinatorMessage> chunks = new ArrayList<>();
        for (int offset = 0; offset < encoded.size(); offset += CHUNK_BYTES) {
            int end = Math.min(encoded.size(), offset + CHUNK_BYTES);
            chunks.add(CoordinatorMessage.newBuilder()
                    .setBodyChunk(BodyChunk.newBuilder()
                            .setRunId(runId)
                            .setBodySetSha256(digest)
                            .setOffset(offset)
                            .setTotalBytes(encoded.size())
                            .setData(encoded.substring(offset, end)))
                    .build());
        }
        RunPlan stripped = plan.toBuilder()
                .setRequest(plan.getRequest().toBuilder().clearBodies())
                .build();
        return new BodyDelivery(digest, List.copyOf(chunks), stripped);
    }

    private static byte[] sha256(ByteString bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    ByteString digest() {
        return digest;
    }

    /** The messages that carry the bodies, in order. */
    List<CoordinatorMessage> chunks() {
        return chunks;
    }

    /** The plan as assignments carry it: everything but the bodies. */
    RunPlan planWithoutBodies() {
        return planWithoutBodies;
    }
}
