package io.salvo.worker.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.salvo.proto.v1.Assignment;
import io.salvo.proto.v1.BodyChunk;
import io.salvo.proto.v1.BodySet;
import io.salvo.proto.v1.RequestTemplate;
import io.salvo.proto.v1.RunPlan;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Request bodies sent in chunks come back whole, checked against their digest, for the assignment that names them. */
class BodySetsTest {

    private static List<ByteString> bodies(String... texts) {
        return java.util.Arrays.stream(texts).map(ByteString::copyFromUtf8).toList();
    }

    /** The chunks a coordinator sends for {@code bodies}, {@code chunkBytes} of encoded set each. */
    static List<BodyChunk> chunks(String runId, List<ByteString> bodies, int chunkBytes) throws Exception {
        ByteString encoded = BodySet.newBuilder().addAllBodies(bodies).build().toByteString();
        ByteString digest = digest(encoded);
        List<BodyChunk> chunks = new ArrayList<>();
        for (int offset = 0; offset < encoded.size(); offset += chunkBytes) {
            chunks.add(BodyChunk.newBuilder()
                    .setRunId(runId)
                    .setBodySetSha256(digest)
                    .setOffset(offset)
                    .setTotalBytes(encoded.size())
                    .setData(encoded.substring(offset, Math.min(encoded.size(), offset + chunkBytes)))
                    .build());
        }
        return chunks;
    }

    static ByteString digest(ByteString encoded) throws Exception {
        return ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(encoded.toByteArray()));
    }

    private static Assignment naming(ByteString digest) {
        return Assignment.newBuilder()
                .setRunId("run-b")
                .setPlan(RunPlan.newBuilder()
                        .setRequest(RequestTemplate.newBuilder().setUrl("http://127.0.0.1:1/")))
                .setBodySetSha256(digest)
                .build();
    }

    @Test
    void chunksReassembleIntoTheBodiesTheAssignmentNames() throws Exception {
        List<ByteString> bodies = bodies("{\"a\":1}", "{\"b\":22}", "{\"c\":333}");
        List<BodyChunk> chunks = chunks("run-b", bodies, 7);
        assertThat(chunks).hasSizeGreaterThan(3);
        BodySets sets = new BodySets();
        chunks.forEach(sets::accept);

        Assignment resolved = sets.resolve(naming(chunks.get(0).getBodySetSha256()));

        assertThat(resolved.getPlan().getRequest().getBodiesList()).isEqualTo(bodies);
        assertThat(resolved.getPlan().getRequest().getUrl()).isEqualTo("http://127.0.0.1:1/");
    }

    @Test
    void anAssignmentWithoutADigestKeepsItsOwnBodies() {
        Assignment plain = Assignment.newBuilder()
                .setRunId("run-p")
                .setPlan(RunPlan.newBuilder()
                        .setRequest(RequestTemplate.newBuilder().addBodies(ByteString.copyFromUtf8("x"))))
                .build();

        assertThat(new BodySets().resolve(plain)).isSameAs(plain);
    }

    @Test
    void anAssignmentNamingBodiesNeverReceivedIsRefused() throws Exception {
        List<BodyChunk> chunks = chunks("run-b", bodies("one", "two"), 4);
        BodySets sets = new BodySets();
        chunks.subList(0, chunks.size() - 1).forEach(sets::accept); // the last chunk never came

        assertThatThrownBy(() -> sets.resolve(naming(chunks.get(0).getBodySetSha256())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has not received");
    }

    @Test
    void bodiesThatDoNotMatchTheirDigestAreDropped() throws Exception {
        List<BodyChunk> chunks = chunks("run-b", bodies("one", "two"), 1_000);
        BodyChunk tampered = chunks.get(0).toBuilder()
                .setData(chunks.get(0)
                        .getData()
                        .concat(ByteString.copyFromUtf8("!"))
                        .substring(1))
                .build();
        BodySets sets = new BodySets();
        sets.accept(tampered);

        assertThat(sets.size()).isZero();
        assertThatThrownBy(() -> sets.resolve(naming(tampered.getBodySetSha256())))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSetThatStartsAgainReplacesTheHalfReceivedOneAndAChunkOutOfOrderIsDropped() throws Exception {
        List<BodyChunk> chunks = chunks("run-b", bodies("alpha", "beta", "gamma"), 5);
        BodySets sets = new BodySets();
        sets.accept(chunks.get(0));
        sets.accept(chunks.get(2)); // skipped one: the set is abandoned
        sets.accept(chunks.get(1));
        assertThat(sets.size()).isZero();

        chunks.forEach(sets::accept); // sent again on a new stream, whole

        assertThat(sets.resolve(naming(chunks.get(0).getBodySetSha256()))
                        .getPlan()
                        .getRequest()
                        .getBodiesList())
                .isEqualTo(bodies("alpha", "beta", "gamma"));
    }

    @Test
    void onlyTheLatestTwoSetsAreKept() throws Exception {
        BodySets sets = new BodySets();
        List<ByteString> digests = new ArrayList<>();
        for (String body : List.of("first", "second", "third")) {
            List<BodyChunk> chunks = chunks("run-" + body, bodies(body), 64);
            chunks.forEach(sets::accept);
            digests.add(chunks.get(0).getBodySetSha256());
        }

        assertThat(sets.size()).isEqualTo(2);
        assertThatThrownBy(() -> sets.resolve(naming(digests.get(0)))).isInstanceOf(IllegalStateException.class);
        assertThat(sets.resolve(naming(digests.get(2))).getPlan().getRequest().getBodiesList())
                .isEqualTo(bodies("third"));
    }
}
