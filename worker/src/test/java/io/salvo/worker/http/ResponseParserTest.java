package io.salvo.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseParserTest {

    private static final HeaderSelection SELECTION =
            HeaderSelection.of(List.of("Salvo-Instance-Id", "X-Region", "salvo-instance-id"));

    /** Feeds the response in pieces of {@code step} bytes, as the connection does: unread bytes are kept and extended. */
    private static Result feed(String response, int step, boolean head) throws ProtocolViolationException {
        ResponseParser parser = new ResponseParser(SELECTION);
        parser.expectResponse(head);
        byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf kept = Unpooled.buffer();
        for (int offset = 0; offset < bytes.length; offset += step) {
            kept.writeBytes(bytes, offset, Math.min(step, bytes.length - offset));
            if (parser.parse(kept)) {
                return new Result(
                        true, parser.status(), parser.keepAlive(), selected(parser), kept.readableBytes(), parser);
            }
            kept.discardReadBytes();
        }
        return new Result(false, parser.status(), parser.keepAlive(), selected(parser), kept.readableBytes(), parser);
    }

    private record Result(
            boolean complete,
            int status,
            boolean keepAlive,
            List<String> selected,
            int leftOver,
            ResponseParser parser) {}

    /** The captured header values, one per selected header (null where it was absent); null when none are selected. */
    private static List<String> selected(ResponseParser parser) {
        String[] values = parser.selectedValues();
        return values == null ? null : Arrays.asList(values);
    }

    @Test
    void aContentLengthResponseInOnePiece() throws Exception {
        Result r = feed(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSalvo-Instance-Id:  abc \r\n"
                        + "Content-Length: 5\r\n\r\nhello",
                1000,
                false);
        assertThat(r.complete()).isTrue();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.keepAlive()).isTrue();
        assertThat(r.selected()).containsExactly("abc", null);
        assertThat(r.leftOver()).isZero();
    }

    @Test
    void everySplitPointGivesTheSameResult() throws Exception {
        String response =
                "HTTP/1.1 503 Service Unavailable\r\nx-region: eu-west-1\r\nContent-Length: 11\r\n\r\nunavailable";
        for (int step = 1; step <= response.length(); step++) {
            Result r = feed(response, step, false);
            assertThat(r.complete()).as("step %d", step).isTrue();
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.selected()).containsExactly(null, "eu-west-1");
            assertThat(r.leftOver()).isZero();
        }
    }

    @Test
    void chunkedBodiesWithExtensionsAndTrailersAtAnySplit() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSALVO-INSTANCE-ID: i-1\r\n\r\n"
                + "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer-A: 1\r\n\r\n";
        for (int step = 1; step <= response.length(); step++) {
            Result r = feed(response, step, false);
            assertThat(r.complete()).as("step %d", step).isTrue();
            assertThat(r.keepAlive()).isTrue();
            assertThat(r.selected().get(0)).isEqualTo("i-1");
            assertThat(r.leftOver()).isZero();
        }
    }

    @Test
    void chunkedIsRecognisedOnlyAsTheLastCoding() throws Exception {
        Result chunked = feed(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 99\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                7,
                false);
        assertThat(chunked.complete()).isTrue();
        Result untilClose =
                feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nbytes until the close", 7, false);
        assertThat(untilClose.complete()).isFalse();
        assertThat(untilClose.parser().endOfInput()).isTrue();
        assertThat(untilClose.parser().keepAlive()).isFalse();
    }

    @Test
    void headResponsesAnd204And304HaveNoBody() throws Exception {
        assertThat(feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 3, true)
                        .complete())
                .isTrue();
        assertThat(feed("HTTP/1.1 204 No Content\r\n\r\n", 3, false).complete()).isTrue();
        Result notModified = feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 3, false);
        assertThat(notModified.complete()).isTrue();
        assertThat(notModified.keepAlive()).isTrue();
    }

    @Test
    void interimResponsesAreSkipped() throws Exception {
        Result r = feed(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                        + "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                5,
                false);
        assertThat(r.complete()).isTrue();
        assertThat(r.status()).isEqualTo(201);
    }

    @Test
    void switchingProtocolsEndsTheConnection() throws Exception {
        Result r = feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 100, false);
        assertThat(r.complete()).isTrue();
        assertThat(r.keepAlive()).isFalse();
    }

    @Test
    void persistenceFollowsTheVersionAndTheConnectionHeader() throws Exception {
        assertThat(feed("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: 0\r\n\r\n", 100, false)
                        .keepAlive())
                .isFalse();
        assertThat(feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 100, false)
                        .keepAlive())
                .isFalse();
        assertThat(feed("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 100, false)
                        .keepAlive())
                .isTrue();
    }

    @Test
    void aBodyWithoutLengthRunsUntilTheClose() throws Exception {
        Result r = feed("HTTP/1.0 200 OK\r\n\r\nsome body", 4, false);
        assertThat(r.complete()).isFalse();
        assertThat(r.parser().endOfInput()).isTrue();
        assertThat(r.status()).isEqualTo(200);
    }

    @Test
    void aResponseCutShortIsNotComplete() throws Exception {
        Result r = feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, false);
        assertThat(r.complete()).isFalse();
        assertThat(r.parser().endOfInput()).isFalse();
    }

    @Test
    void bytesAfterTheResponseAreLeftUnread() throws Exception {
        Result r = feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", 1000, false);
        assertThat(r.complete()).isTrue();
        assertThat(r.leftOver()).isEqualTo("HTTP/1.1 200 OK\r\n".length());
    }

    @Test
    void aSelectedHeaderSeenTwiceKeepsItsFirstValue() throws Exception {
        Result r = feed(
                "HTTP/1.1 200 OK\r\nSalvo-Instance-Id: first\r\nsalvo-instance-id: second\r\nContent-Length: 0\r\n\r\n",
                100,
                false);
        assertThat(r.selected().get(0)).isEqualTo("first");
    }

    @Test
    void malformedResponsesAreRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> feed("SSH-2.0-OpenSSH_9.2\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("not an HTTP/1.x status line: 'SSH-2.0-OpenSSH_9.2'");
        assertThatThrownBy(() -> feed("HTTP/2.0 200 OK\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("not an HTTP/1.x status line");
        assertThatThrownBy(() -> feed("HTTP/1.1 2x0 OK\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("malformed status code in 'HTTP/1.1 2x0 OK'");
        assertThatThrownBy(() -> feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("malformed Content-Length: '-1'");
        assertThatThrownBy(() -> feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("conflicting Content-Length headers: 1 and 2");
        assertThatThrownBy(() -> feed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("malformed header line: 'no colon here'");
        assertThatThrownBy(() -> feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("malformed chunk size: 'zz'");
        assertThatThrownBy(() -> feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 100, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessage("chunk data is longer than its declared size");
    }

    @Test
    void linesAndHeadsAreBounded() {
        String endless = "HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(ResponseParser.MAX_LINE_BYTES + 10);
        assertThatThrownBy(() -> feed(endless, 4096, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("longer than " + ResponseParser.MAX_LINE_BYTES);
        StringBuilder many = new StringBuilder("HTTP/1.1 200 OK\r\n");
        while (many.length() < ResponseParser.MAX_HEAD_BYTES + 100) {
            many.append("X-Filler: ").append("b".repeat(100)).append("\r\n");
        }
        assertThatThrownBy(() -> feed(many.toString(), 4096, false))
                .isInstanceOf(ProtocolViolationException.class)
                .hasMessageContaining("head is larger than");
    }

    @Test
    void aParserIsReusedForTheNextResponse() throws Exception {
        ResponseParser parser = new ResponseParser(SELECTION);
        parser.expectResponse(false);
        assertThat(parser.parse(Unpooled.copiedBuffer(
                        "HTTP/1.1 404 Not Found\r\nX-Region: a\r\nContent-Length: 0\r\n\r\n",
                        StandardCharsets.US_ASCII)))
                .isTrue();
        parser.expectResponse(false);
        assertThat(parser.parse(Unpooled.copiedBuffer(
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII)))
                .isTrue();
        assertThat(parser.status()).isEqualTo(200);
        assertThat(parser.selectedValues()).isNull();
    }
}
