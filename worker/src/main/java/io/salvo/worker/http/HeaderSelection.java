package io.salvo.worker.http;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The response headers whose values the engine reads, fixed for a run. Names match ignoring ASCII
 * case, as HTTP requires; each distinct name gets one index, and only those headers' values are
 * ever turned into strings.
 */
public final class HeaderSelection {

    private final String[] lowerCaseNames;

    private HeaderSelection(List<String> lowerCaseNames) {
        this.lowerCaseNames = lowerCaseNames.toArray(new String[0]);
    }

    /** A selection of {@code names}; a name given twice (in any case) gets one index. */
    public static HeaderSelection of(List<String> names) {
        List<String> distinct = new ArrayList<>();
        for (String name : names) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!distinct.contains(lower)) {
                distinct.add(lower);
            }
        }
        return new HeaderSelection(distinct);
    }

    public int size() {
        return lowerCaseNames.length;
    }

    /** The index of {@code name} (any case), or -1 when it is not selected. */
    public int indexOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (int i = 0; i < lowerCaseNames.length; i++) {
            if (lowerCaseNames[i].equals(lower)) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the header name in {@code length} bytes at {@code start}, or -1. */
    int indexOf(ByteBuf in, int start, int length) {
        for (int i = 0; i < lowerCaseNames.length; i++) {
            if (ResponseParser.equalsIgnoreCase(in, start, length, lowerCaseNames[i])) {
                return i;
            }
        }
        return -1;
    }
}
