package io.salvo.coordinator.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte encoding of the coordinator's replicated records. Values in the Hazelcast maps are plain
 * {@code byte[]}: no Java deserialization of cluster data, and every field is read with a bound.
 * Each record starts with a format version so a mixed-version cluster fails loudly, not subtly.
 */
final class StateCodec {

    static final int FORMAT_VERSION = 1;
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_MESSAGE_BYTES = 64 << 20;
    private static final int MAX_LIST = 1 << 20;

    private StateCodec() {}

    /** Appends fields to a growing byte array. */
    static final class Writer {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Writer() {
            writeInt(FORMAT_VERSION);
        }

        Writer writeInt(int v) {
            try {
                out.writeInt(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Writer writeLong(long v) {
            try {
                out.writeLong(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** An unsigned LEB128 varint: one byte per 7 bits, so small counts cost a byte or three, not eight. */
        Writer writeUnsignedVarLong(long v) {
            try {
                long rest = v;
                while ((rest & ~0x7FL) != 0) {
                    out.writeByte((int) ((rest & 0x7F) | 0x80));
                    rest >>>= 7;
                }
                out.writeByte((int) rest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Writer writeBoolean(boolean v) {
            return writeInt(v ? 1 : 0);
        }

        Writer writeString(String s) {
            return writeBytes(s == null ? new byte[0] : s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        Writer writeMessage(MessageLite message) {
            return writeBytes(message.toByteArray());
        }

        Writer writeStrings(List<String> strings) {
            writeInt(strings.size());
            strings.forEach(this::writeString);
            return this;
        }

        Writer writeMessages(List<? extends MessageLite> messages) {
            writeInt(messages.size());
            messages.forEach(this::writeMessage);
            return this;
        }

        Writer writeBytes(byte[] b) {
            try {
                out.writeInt(b.length);
                out.write(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    /** Reads fields in the order they were written; every length is bounded. */
    static final class Reader {
        private final DataInputStream in;

        Reader(byte[] bytes) {
            this.in = new DataInputStream(new ByteArrayInputStream(bytes));
            int version = readInt();
            if (version != FORMAT_VERSION) {
                throw new IllegalStateException("replicated record has format " + version + ", this coordinator reads "
                        + FORMAT_VERSION + " (all coordinators of a cluster must run the same version)");
            }
        }

        int readInt() {
            try {
                return in.readInt();
            } catch (IOException e) {
                throw new IllegalStateException("truncated replicated record", e);
            }
        }

        long readLong() {
            try {
                return in.readLong();
            } catch (IOException e) {
                throw new IllegalStateException("truncated replicated record", e);
            }
        }

        long readUnsignedVarLong() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b;
                try {
                    b = in.readUnsignedByte();
                } catch (IOException e) {
                    throw new IllegalStateException("truncated replicated record", e);
                }
                value |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IllegalStateException("corrupt replicated record: varint longer than 10 bytes");
        }

        boolean readBoolean() {
            return readInt() != 0;
        }

        String readString() {
            return new String(readBytes(MAX_STRING_BYTES), java.nio.charset.StandardCharsets.UTF_8);
        }

        <T extends MessageLite> T readMessage(Parser<T> parser) {
            try {
                return parser.parseFrom(readBytes(MAX_MESSAGE_BYTES));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("corrupt replicated record", e);
            }
        }

        List<String> readStrings() {
            int n = readCount();
            List<String> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(readString());
            }
            return result;
        }

        <T extends MessageLite> List<T> readMessages(Parser<T> parser) {
            int n = readCount();
            List<T> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(readMessage(parser));
            }
            return result;
        }

        /** Whether fields follow (a field appended in a later revision of a record). */
        boolean hasMore() {
            try {
                return in.available() > 0;
            } catch (IOException e) {
                return false;
            }
        }

        int readCount() {
            int n = readInt();
            if (n < 0 || n > MAX_LIST) {
                throw new IllegalStateException("corrupt replicated record: list of " + n);
            }
            return n;
        }

        private byte[] readBytes(int max) {
            int n = readInt();
            if (n < 0 || n > max) {
                throw new IllegalStateException("corrupt replicated record: field of " + n + " bytes");
            }
            byte[] b = new byte[n];
            try {
                in.readFully(b);
            } catch (IOException e) {
                throw new IllegalStateException("truncated replicated record", e);
            }
            return b;
        }
    }
}
