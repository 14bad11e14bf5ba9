package io.salvo.coordinator.cluster;

import io.salvo.proto.v1.WorkerHello;

/**
 * Entry of {@code salvo.workers}: which coordinator holds a worker's stream (member id plus a
 * per-stream connection id, so a stale holder's clean-up never removes a newer stream's entry), the
 * worker's hello and the holder's estimate of the worker's clock.
 */
public record WorkerLocation(
        String holderMemberId,
        String connectionId,
        WorkerHello hello,
        long clockOffsetNanos,
        long clockRoundTripNanos,
        int clockSamples) {

    public byte[] encode() {
        return new StateCodec.Writer()
                .writeString(holderMemberId)
                .writeString(connectionId)
                .writeMessage(hello)
                .writeLong(clockOffsetNanos)
                .writeLong(clockRoundTripNanos)
                .writeInt(clockSamples)
                .toByteArray();
    }

    public static WorkerLocation decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        return new WorkerLocation(
                r.readString(),
                r.readString(),
                r.readMessage(WorkerHello.parser()),
                r.readLong(),
                r.readLong(),
                r.readInt());
    }
}
