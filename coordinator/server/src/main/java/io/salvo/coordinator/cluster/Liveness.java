package io.salvo.coordinator.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * Published every second on {@code salvo.liveness} by each coordinator for the worker streams it
 * holds: how long each worker has been silent. The leader judges silence of remote workers from
 * it, as ages rather than timestamps, so coordinator clocks need not agree.
 */
public record Liveness(String holderMemberId, List<Entry> entries) {

    public record Entry(String workerId, String connectionId, long silentForNanos) {}

    public byte[] encode() {
        StateCodec.Writer w =
                new StateCodec.Writer().writeString(holderMemberId).writeInt(entries.size());
        for (Entry e : entries) {
            w.writeString(e.workerId()).writeString(e.connectionId()).writeLong(e.silentForNanos());
        }
        return w.toByteArray();
    }

    public static Liveness decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        String holder = r.readString();
        int n = r.readCount();
        List<Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            entries.add(new Entry(r.readString(), r.readString(), r.readLong()));
        }
        return new Liveness(holder, entries);
    }
}
