package io.salvo.coordinator.cluster;

import java.util.List;

/**
 * Reports one coordinator refused for one run (corrupt, duplicate, impersonating, from a stranger,
 * impossible index): the count and the first reasons. Each coordinator writes only its own entry
 * of {@code salvo.run.<id>.rejections}, so no two writers race; the result sums them.
 */
public record RejectionTally(long count, List<String> reasons) {

    public static final int MAX_REASONS = 100;

    public RejectionTally {
        reasons = List.copyOf(reasons);
    }

    public byte[] encode() {
        return new StateCodec.Writer().writeLong(count).writeStrings(reasons).toByteArray();
    }

    public static RejectionTally decode(byte[] bytes) {
        StateCodec.Reader r = new StateCodec.Reader(bytes);
        return new RejectionTally(r.readLong(), r.readStrings());
    }
}
