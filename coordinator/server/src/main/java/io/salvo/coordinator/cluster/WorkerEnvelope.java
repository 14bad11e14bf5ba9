package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.CoordinatorMessage;

/**
 * A message for a worker whose stream another coordinator holds, published on
 * {@code salvo.to-workers}; the holder forwards it. The sender's offset to Hazelcast's cluster clock
 * travels along so the holder can restate an assignment's start instant for its own clock.
 */
public record WorkerEnvelope(
        String holderMemberId,
        String workerId,
        String connectionId,
        long senderClusterTimeOffsetMillis,
        CoordinatorMessage message) {

    public byte[] encode() {
        return new StateCodec.Writer()
                .writeString(holderMemberId)
                .writeString(workerId)
                .writeString(connectionId)
                .writeLong(senderClusterTimeOffsetMillis)
                .writeMessage(message)
                .toByteArray();
    }

    public static WorkerEnvelope decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        return new WorkerEnvelope(
                r.readString(),
                r.readString(),
                r.readString(),
                r.readLong(),
                r.readMessage(CoordinatorMessage.parser()));
    }
}
