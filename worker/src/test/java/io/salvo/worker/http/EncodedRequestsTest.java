package io.salvo.worker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.salvo.proto.v1.Header;
import io.salvo.proto.v1.HeaderSet;
import io.salvo.proto.v1.RequestHeaderSets;
import io.salvo.proto.v1.RequestTemplate;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EncodedRequestsTest {

    private static String text(ByteBuf request) {
        return request.toString(StandardCharsets.ISO_8859_1);
    }

    private static RequestTemplate.Builder template(String url) {
        return RequestTemplate.newBuilder().setUrl(url);
    }

    @Test
    void bodiesRotateEachAsOneCompleteRequest() {
        EncodedRequests requests = EncodedRequests.of(template("http://model.example:8080/v2/models/m/infer")
                .setMethod("post")
                .addHeaders(Header.newBuilder().setName("Content-Type").setValue("application/json"))
                .addBodies(ByteString.copyFromUtf8("{\"a\":1}"))
                .addBodies(ByteString.copyFromUtf8("{\"b\":22}"))
                .build());
        assertThat(text(requests.request(0)))
                .isEqualTo(
                        "POST /v2/models/m/infer HTTP/1.1\r\nContent-Type: application/json\r\n"
                                + "Host: model.example:8080\r\nUser-Agent: Salvo-Worker/1\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
        assertThat(text(requests.request(1))).endsWith("Content-Length: 8\r\n\r\n{\"b\":22}");
        assertThat(text(requests.request(2))).isEqualTo(text(requests.request(0)));
        ByteBuf written = requests.request(0);
        written.skipBytes(written.readableBytes());
        assertThat(requests.request(0).readableBytes())
                .as("each call is an independent view")
                .isPositive();
    }

    @Test
    void headerSetsReplaceTheTemplatesSameNamedHeadersSharedFirstThenEachBodysOwn() {
        RequestTemplate template = template("http://fn.lambda-url.example/v2/models/m/infer")
                .setMethod("POST")
                .addHeaders(Header.newBuilder().setName("Content-Type").setValue("application/json"))
                .addHeaders(Header.newBuilder().setName("authorization").setValue("Bearer plan"))
                .addBodies(ByteString.copyFromUtf8("{\"a\":1}"))
                .addBodies(ByteString.copyFromUtf8("{\"b\":2}"))
                .addBodies(ByteString.copyFromUtf8("{\"c\":3}"))
                .build();
        RequestHeaderSets sets = RequestHeaderSets.newBuilder()
                .setGeneration(4)
                .addShared(Header.newBuilder().setName("Authorization").setValue("Bearer shared"))
                .addPerBody(HeaderSet.newBuilder()
                        .addHeaders(Header.newBuilder().setName("Host").setValue("signed.example"))
                        .addHeaders(Header.newBuilder().setName("X-Amz-Date").setValue("20261206T050000Z")))
                .addPerBody(HeaderSet.getDefaultInstance())
                .build();
        EncodedRequests requests = EncodedRequests.of(template, sets);
        assertThat(text(requests.request(0)))
                .isEqualTo("POST /v2/models/m/infer HTTP/1.1\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer shared\r\nHost: signed.example\r\nX-Amz-Date: 20261206T050000Z\r\n"
                        + "User-Agent: Salvo-Worker/1\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
        assertThat(text(requests.request(1)))
                .as("an empty set adds nothing")
                .startsWith("POST /v2/models/m/infer HTTP/1.1\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer shared\r\nHost: fn.lambda-url.example\r\n");
        assertThat(text(requests.request(2)))
                .as("an index beyond the list adds nothing")
                .contains("Authorization: Bearer shared\r\nHost: fn.lambda-url.example\r\n")
                .doesNotContain("plan");
        assertThat(text(EncodedRequests.of(
                                template.toBuilder().setHeaderSets(sets).build())
                        .request(0)))
                .as("the template's own sets are used by default")
                .isEqualTo(text(requests.request(0)));
        requests.close();
    }

    @Test
    void aMalformedHeaderSetValueIsRefusedWithoutShowingTheValue() {
        RequestHeaderSets sets = RequestHeaderSets.newBuilder()
                .setGeneration(2)
                .addShared(Header.newBuilder().setName("Authorization").setValue("Bearer secret\r\nX: y"))
                .build();
        assertThatThrownBy(() -> EncodedRequests.of(template("http://h/").build(), sets))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Authorization")
                .hasMessageNotContaining("secret");
    }

    @Test
    void thePlansHostAndUserAgentWinAndItsFramingHeadersAreDropped() {
        EncodedRequests requests = EncodedRequests.of(template("https://10.0.0.1/predict?x=a%20b&y")
                .addHeaders(Header.newBuilder().setName("host").setValue("model.internal"))
                .addHeaders(Header.newBuilder().setName("User-Agent").setValue("benchmark"))
                .addHeaders(Header.newBuilder().setName("Content-Length").setValue("999"))
                .addHeaders(Header.newBuilder().setName("Transfer-Encoding").setValue("chunked"))
                .build());
        assertThat(text(requests.request(0)))
                .isEqualTo("GET /predict?x=a%20b&y HTTP/1.1\r\nhost: model.internal\r\nUser-Agent: benchmark\r\n\r\n");
        assertThat(requests.target().tls()).isTrue();
        assertThat(requests.target().port()).isEqualTo(443);
        assertThat(requests.headRequests()).isFalse();
    }

    @Test
    void methodsThatCarryABodySayWhenItIsEmptyAndHeadIsKnown() {
        assertThat(text(EncodedRequests.of(
                                template("http://h/").setMethod("PUT").build())
                        .request(0)))
                .isEqualTo("PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: Salvo-Worker/1\r\nContent-Length: 0\r\n\r\n");
        assertThat(EncodedRequests.of(template("http://h/").setMethod("HEAD").build())
                        .headRequests())
                .isTrue();
    }

    @Test
    void targetsKeepTheirRawPathQueryAndAnIpv6Host() {
        HttpTarget v6 = HttpTarget.of("http://[::1]:9000");
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.hostHeader()).isEqualTo("[::1]:9000");
        assertThat(v6.requestTarget()).isEqualTo("/");
        HttpTarget plain = HttpTarget.of("HTTP://Example.com/a%2Fb");
        assertThat(plain.port()).isEqualTo(80);
        assertThat(plain.hostHeader()).isEqualTo("Example.com");
        assertThat(plain.requestTarget()).isEqualTo("/a%2Fb");
    }

    @Test
    void whatCannotGoOnTheWireIsRefusedWithWhy() {
        assertThatThrownBy(() -> HttpTarget.of("ftp://h/"))
                .hasMessage("request URL must be absolute http:// or https://, was ftp://h/");
        assertThatThrownBy(() -> HttpTarget.of("http:///x")).hasMessage("request URL has no host: http:///x");
        assertThatThrownBy(() -> EncodedRequests.of(template("http://h/")
                        .addHeaders(Header.newBuilder().setName("X-A").setValue("1\r\nX-Injected: 2"))
                        .build()))
                .hasMessage("request header 'X-A' has a value with a line break, NUL or non-Latin-1 character");
        assertThatThrownBy(() -> EncodedRequests.of(template("http://h/")
                        .addHeaders(Header.newBuilder().setName("Bad Name").setValue("1"))
                        .build()))
                .hasMessage("request header name 'Bad Name' contains ' ', which HTTP does not allow there");
        assertThatThrownBy(() -> EncodedRequests.of(
                        template("http://h/").setMethod("GET /x").build()))
                .hasMessageContaining("request method 'GET /X' contains ' '");
    }
}
