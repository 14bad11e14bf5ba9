package io.salvo.worker.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Incremental parser of one HTTP/1.1 response at a time, for a client that never pipelines.
 *
 * <p>It reads only what a load generator needs: the status, the framing headers
 * (Content-Length, Transfer-Encoding, Connection) and the values of the headers a
 * {@link HeaderSelection} names. Everything else, the body included, is skipped in place, without
 * copying or decoding. Framing follows RFC 9112 section 6: no body for HEAD, 204 and 304; chunked
 * when it is the final transfer coding; otherwise Content-Length; otherwise the body runs until the
 * connection closes. Interim 1xx responses are skipped (101 ends the exchange: the connection can
 * no longer carry HTTP/1.1).
 *
 * <p>Lines and the head are bounded ({@value #MAX_LINE_BYTES} and {@value #MAX_HEAD_BYTES} bytes):
 * a server that never ends a line cannot make the worker buffer without limit.
 *
 * <p>Not thread-safe: one instance per connection, used on its event loop.
 */
final class ResponseParser {

    static final int MAX_LINE_BYTES = 16 * 1024;
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** 15 hex digits: a chunk size below 2^60, far beyond any real chunk, and no overflow. */
    private static final int MAX_CHUNK_SIZE_DIGITS = 15;

    private enum State {
        STATUS_LINE,
        HEADER_LINE,
        BODY_FIXED,
        CHUNK_SIZE,
        CHUNK_DATA,
        CHUNK_DATA_END,
        TRAILER,
        UNTIL_CLOSE,
        COMPLETE
    }

    private final HeaderSelection selection;
    private State state = State.COMPLETE;
    private boolean headRequest;
    private int status;
    private boolean http10;
    private long contentLength;
    private boolean chunked;
    private boolean transferEncoded;
    private boolean connectionClose;
    private boolean connectionKeepAlive;
    private boolean delimitedByClose;
    private long remaining;
    private int headBytes;
    private String[] selected;

    ResponseParser(HeaderSelection selection) {
        this.selection = selection;
    }

    /** Prepares for the response to a request just sent; {@code headRequest} when it was a HEAD. */
    void expectResponse(boolean headRequest) {
        this.headRequest = headRequest;
        this.selected = null;
        startHead();
    }

    private void startHead() {
        state = State.STATUS_LINE;
        status = 0;
        http10 = false;
        contentLength = -1;
        chunked = false;
        transferEncoded = false;
        connectionClose = false;
        connectionKeepAlive = false;
        delimitedByClose = false;
        headBytes = 0;
    }

    /**
     * Consumes what it can of {@code in}. Returns true once the response is complete; bytes after
     * its end are left unread. A partial line is left unread too: the caller keeps it and calls again
     * with more bytes appended.
     *
     * @throws ProtocolViolationException when the bytes are not a valid HTTP/1.x response
     */
    boolean parse(ByteBuf in) throws ProtocolViolationException {
        while (true) {
            switch (state) {
                case STATUS_LINE, HEADER_LINE, CHUNK_SIZE, CHUNK_DATA_END, TRAILER -> {
                    int lineFeed = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                    if (lineFeed < 0) {
                        if (in.readableBytes() > MAX_LINE_BYTES) {
                            throw new ProtocolViolationException(
                                    "a response line is longer than " + MAX_LINE_BYTES + " bytes");
                        }
                        return false;
                    }
                    int start = in.readerIndex();
                    int end = lineFeed > start && in.getByte(lineFeed - 1) == '\r' ? lineFeed - 1 : lineFeed;
                    in.readerIndex(lineFeed + 1);
                    onLine(in, start, end);
                    if (state == State.COMPLETE) {
                        return true;
                    }
                }
                case BODY_FIXED, CHUNK_DATA -> {
                    int skip = (int) Math.min(remaining, in.readableBytes());
                    in.skipBytes(skip);
                    remaining -= skip;
                    if (remaining > 0) {
                        return false;
                    }
                    state = state == State.BODY_FIXED ? State.COMPLETE : State.CHUNK_DATA_END;
                    if (state == State.COMPLETE) {
                        return true;
                    }
                }
                case UNTIL_CLOSE -> {
                    in.skipBytes(in.readableBytes());
                    return false;
                }
                case COMPLETE -> {
                    return true;
                }
            }
        }
    }

    /**
     * The connection closed. Returns true when that ends the response (a body delimited by the
     * close); false when the response was cut short.
     */
    boolean endOfInput() {
        if (state == State.UNTIL_CLOSE) {
            state = State.COMPLETE;
            return true;
        }
        return state == State.COMPLETE;
    }

    /** Whether the connection may carry another request after this complete response. */
    boolean keepAlive() {
        if (connectionClose || delimitedByClose || status == 101 || state != State.COMPLETE) {
            return false;
        }
        return !http10 || connectionKeepAlive;
    }

    int status() {
        return status;
    }

    /** Values of the selected headers by {@link HeaderSelection} index, or null when none was present. */
    String[] selectedValues() {
        return selected;
    }

    private void onLine(ByteBuf in, int start, int end) throws ProtocolViolationException {
        switch (state) {
            case STATUS_LINE -> {
                countHead(end - start);
                if (end == start) {
                    return; // RFC 9112 2.2: a client may ignore empty lines before the status line
                }
                parseStatusLine(in, start, end);
                state = State.HEADER_LINE;
            }
            case HEADER_LINE -> {
                countHead(end - start);
                if (end == start) {
                    endOfHead();
                } else {
                    parseHeader(in, start, end);
                }
            }
            case CHUNK_SIZE -> {
                long size = parseChunkSize(in, start, end);
                if (size == 0) {
                    state = State.TRAILER;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_DATA_END -> {
                if (end != start) {
                    throw new ProtocolViolationException("chunk data is longer than its declared size");
                }
                state = State.CHUNK_SIZE;
            }
            case TRAILER -> {
                if (end == start) {
                    state = State.COMPLETE;
                }
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void countHead(int lineBytes) throws ProtocolViolationException {
        headBytes += lineBytes + 2;
        if (headBytes > MAX_HEAD_BYTES) {
            throw new ProtocolViolationException("the response head is larger than " + MAX_HEAD_BYTES + " bytes");
        }
    }

    /** {@code HTTP/1.x SP 3DIGIT [SP reason]}. */
    private void parseStatusLine(ByteBuf in, int start, int end) throws ProtocolViolationException {
        if (end - start < 12 || !startsWith(in, start, "HTTP/1.") || in.getByte(start + 8) != ' ') {
            throw new ProtocolViolationException("not an HTTP/1.x status line: '" + printable(in, start, end) + "'");
        }
        byte minor = in.getByte(start + 7);
        if (minor != '0' && minor != '1') {
            throw new ProtocolViolationException("unsupported HTTP version in '" + printable(in, start, end) + "'");
        }
        http10 = minor == '0';
        int code = 0;
        for (int i = start + 9; i < start + 12; i++) {
            byte digit = in.getByte(i);
            if (digit < '0' || digit > '9') {
                throw new ProtocolViolationException("malformed status code in '" + printable(in, start, end) + "'");
            }
            code = code * 10 + (digit - '0');
        }
        if (code < 100 || (end > start + 12 && in.getByte(start + 12) != ' ')) {
            throw new ProtocolViolationException("malformed status code in '" + printable(in, start, end) + "'");
        }
        status = code;
    }

    private void parseHeader(ByteBuf in, int start, int end) throws ProtocolViolationException {
        byte first = in.getByte(start);
        if (first == ' ' || first == '\t') {
            return; // obsolete line folding continues a value no framing rule reads; ignored
        }
        int colon = in.indexOf(start, end, (byte) ':');
        if (colon <= start) {
            throw new ProtocolViolationException("malformed header line: '" + printable(in, start, end) + "'");
        }
        int nameEnd = colon;
        int valueStart = colon + 1;
        while (valueStart < end && isSpace(in.getByte(valueStart))) {
            valueStart++;
        }
        int valueEnd = end;
        while (valueEnd > valueStart && isSpace(in.getByte(valueEnd - 1))) {
            valueEnd--;
        }
        int nameLength = nameEnd - start;
        if (equalsIgnoreCase(in, start, nameLength, "content-length")) {
            long length = parseContentLength(in, valueStart, valueEnd);
            if (contentLength >= 0 && contentLength != length) {
                throw new ProtocolViolationException(
                        "conflicting Content-Length headers: " + contentLength + " and " + length);
            }
            contentLength = length;
        } else if (equalsIgnoreCase(in, start, nameLength, "transfer-encoding")) {
            transferEncoded = true;
            chunked = lastTokenIs(in, valueStart, valueEnd, "chunked");
        } else if (equalsIgnoreCase(in, start, nameLength, "connection")) {
            readConnectionTokens(in, valueStart, valueEnd);
        }
        int index = selection.indexOf(in, start, nameLength);
        if (index >= 0) {
            if (selected == null) {
                selected = new String[selection.size()];
            }
            if (selected[index] == null) {
                selected[index] = in.toString(valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
            }
        }
    }

    private void endOfHead() throws ProtocolViolationException {
        if (status >= 100 && status < 200 && status != 101) {
            startHead(); // an interim response; the final one follows on the same connection
            return;
        }
        if (headRequest || status == 101 || status == 204 || status == 304) {
            state = State.COMPLETE;
        } else if (transferEncoded) {
            // RFC 9112 6.3: Transfer-Encoding overrides Content-Length; without chunked last, the close ends it
            state = chunked ? State.CHUNK_SIZE : State.UNTIL_CLOSE;
            delimitedByClose = !chunked;
        } else if (contentLength >= 0) {
            remaining = contentLength;
            state = contentLength == 0 ? State.COMPLETE : State.BODY_FIXED;
        } else {
            state = State.UNTIL_CLOSE;
            delimitedByClose = true;
        }
    }

    private static long parseContentLength(ByteBuf in, int start, int end) throws ProtocolViolationException {
        if (start == end || end - start > 18) {
            throw new ProtocolViolationException("malformed Content-Length: '" + printable(in, start, end) + "'");
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            byte digit = in.getByte(i);
            if (digit < '0' || digit > '9') {
                throw new ProtocolViolationException("malformed Content-Length: '" + printable(in, start, end) + "'");
            }
            value = value * 10 + (digit - '0');
        }
        return value;
    }

    private static long parseChunkSize(ByteBuf in, int start, int end) throws ProtocolViolationException {
        long size = 0;
        int digits = 0;
        int i = start;
        for (; i < end; i++) {
            int value = Character.digit(in.getByte(i), 16);
            if (value < 0) {
                break;
            }
            if (++digits > MAX_CHUNK_SIZE_DIGITS) {
                throw new ProtocolViolationException("chunk size is too large: '" + printable(in, start, end) + "'");
            }
            size = size * 16 + value;
        }
        if (digits == 0 || (i < end && in.getByte(i) != ';' && !isSpace(in.getByte(i)))) {
            throw new ProtocolViolationException("malformed chunk size: '" + printable(in, start, end) + "'");
        }
        return size;
    }

    private void readConnectionTokens(ByteBuf in, int start, int end) {
        int tokenStart = start;
        for (int i = start; i <= end; i++) {
            if (i == end || in.getByte(i) == ',') {
                int s = tokenStart;
                int e = i;
                while (s < e && isSpace(in.getByte(s))) {
                    s++;
                }
                while (e > s && isSpace(in.getByte(e - 1))) {
                    e--;
                }
                if (equalsIgnoreCase(in, s, e - s, "close")) {
                    connectionClose = true;
                } else if (equalsIgnoreCase(in, s, e - s, "keep-alive")) {
                    connectionKeepAlive = true;
                }
                tokenStart = i + 1;
            }
        }
    }

    private static boolean lastTokenIs(ByteBuf in, int start, int end, String token) {
        int comma = start - 1;
        for (int i = end - 1; i >= start; i--) {
            if (in.getByte(i) == ',') {
                comma = i;
                break;
            }
        }
        int s = comma + 1;
        while (s < end && isSpace(in.getByte(s))) {
            s++;
        }
        return equalsIgnoreCase(in, s, end - s, token);
    }

    /** ASCII case-insensitive comparison of {@code length} bytes at {@code start} with a lower-case literal. */
    static boolean equalsIgnoreCase(ByteBuf in, int start, int length, String lowerCase) {
        if (length != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int b = in.getByte(start + i);
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerCase.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(ByteBuf in, int start, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (in.getByte(start + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** At most 80 characters of a line, non-printable bytes as '?', for error messages. */
    private static String printable(ByteBuf in, int start, int end) {
        StringBuilder text = new StringBuilder();
        for (int i = start; i < end && text.length() < 80; i++) {
            byte b = in.getByte(i);
            text.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return end - start > 80 ? text + "..." : text.toString();
    }
}
