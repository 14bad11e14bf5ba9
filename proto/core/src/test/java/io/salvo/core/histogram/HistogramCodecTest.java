package io.salvo.core.histogram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.core.histogram.HistogramCodec.CorruptHistogramException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class HistogramCodecTest {

    @Test
    void roundTripKeepsEveryCount() throws Exception {
        Histogram h = HistogramSpec.newHistogram();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            h.recordValue(1 + random.nextLong(5_000_000));
        }
        h.recordValue(HistogramSpec.HIGHEST_MICROS);
        Histogram back = HistogramCodec.decode(HistogramCodec.encode(h));
        assertThat(back).isEqualTo(h);
    }

    @Test
    void sparseDecodingEqualsHdrHistogramsOwnDecoding() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        for (int round = 0; round < 50; round++) {
            Histogram h = HistogramSpec.newHistogram();
            int samples = random.nextInt(5000);
            for (int i = 0; i < samples; i++) {
                long value = switch (random.nextInt(4)) {
                    case 0 -> 1 + random.nextLong(2048); // below the first bucket boundary
                    case 1 -> (long) (20_000 * Math.exp(random.nextGaussian())); // typical latencies
                    case 2 -> 1 + random.nextLong(HistogramSpec.HIGHEST_MICROS); // anywhere
                    default -> HistogramSpec.HIGHEST_MICROS - random.nextLong(1000); // the very top
                };
                h.recordValueWithCount(Math.max(1, value), 1 + random.nextInt(3));
            }
            byte[] bytes = HistogramCodec.encode(h).toByteArray();
            SparseHistogram sparse = HistogramCodec.decodeSparse(bytes);
            assertThat(sparse.totalCount()).isEqualTo(h.getTotalCount());
            assertThat(sparse.toHistogram())
                    .isEqualTo(HistogramCodec.decode(bytes))
                    .isEqualTo(h);
        }
    }

    @Test
    void bucketIndicesFollowHdrHistogramsOwnLayout() {
        Histogram h = HistogramSpec.newHistogram();
        SplittableRandom random = new SplittableRandom(21);
        long[] edges = {0, 1, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1_000_000, HistogramSpec.HIGHEST_MICROS};
        for (int i = 0; i < 100_000 + edges.length; i++) {
            long v = i < edges.length ? edges[i] : random.nextLong(HistogramSpec.HIGHEST_MICROS + 1);
            int index = HistogramCodec.indexOf(v);
            assertThat(HistogramCodec.valueAtIndex(index))
                    .as("lowest value of the bucket of %d", v)
                    .isEqualTo(h.lowestEquivalentValue(v));
            assertThat(index).isBetween(0, HistogramCodec.MAX_BUCKET_INDEX);
        }
        assertThat(HistogramCodec.indexOf(HistogramSpec.HIGHEST_MICROS)).isEqualTo(HistogramCodec.MAX_BUCKET_INDEX);
    }

    /** Many workers' histograms added bucket by bucket equal HdrHistogram's own add of them all. */
    @Test
    void denseCountsAddExactly() throws Exception {
        SplittableRandom random = new SplittableRandom(23);
        DenseCounts dense = new DenseCounts();
        Histogram expected = HistogramSpec.newHistogram();
        for (int w = 0; w < 200; w++) {
            Histogram h = HistogramSpec.newHistogram();
            for (int i = 0, n = random.nextInt(400); i < n; i++) {
                h.recordValue(
                        random.nextBoolean()
                                ? (long) (20_000 * Math.exp(random.nextGaussian()))
                                : 1 + random.nextLong(HistogramSpec.HIGHEST_MICROS));
            }
            dense.add(HistogramCodec.decodeSparse(HistogramCodec.encode(h)));
            expected.add(h);
        }
        assertThat(dense.totalCount()).isEqualTo(expected.getTotalCount());
        assertThat(dense.toHistogram()).isEqualTo(expected);
    }

    /** Both decoders see the same mutated payloads and agree on each: the same histogram, or both refuse it. */
    @Test
    void sparseDecodingRejectsWhatTheFullDecoderRejects() {
        Histogram h = HistogramSpec.newHistogram();
        for (int i = 1; i < 3000; i++) {
            h.recordValue(i * 53L);
        }
        byte[] good = HistogramCodec.encode(h).toByteArray();
        SplittableRandom random = new SplittableRandom(9);
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] mutated = good.clone();
            for (int f = 0, n = 1 + random.nextInt(4); f < n; f++) {
                mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
            }
            Histogram full;
            try {
                full = HistogramCodec.decode(mutated);
            } catch (CorruptHistogramException e) {
                full = null;
                refused++;
            }
            SparseHistogram sparse;
            try {
                sparse = HistogramCodec.decodeSparse(mutated);
            } catch (CorruptHistogramException e) {
                sparse = null;
            }
            if (full == null) {
                assertThat(sparse)
                        .as("payload %d: the full decoder refused it, the sparse one did not", i)
                        .isNull();
            } else {
                assertThat(sparse)
                        .as("payload %d: the full decoder took it, the sparse one refused it", i)
                        .isNotNull();
                assertThat(sparse.totalCount()).isEqualTo(full.getTotalCount());
                assertThat(sparse.toHistogram()).as("payload %d", i).isEqualTo(full);
            }
        }
        assertThat(refused).as("most mutations are caught").isGreaterThan(1000);
    }

    @Test
    void emptyHistogramRoundTrips() throws Exception {
        Histogram back = HistogramCodec.decode(HistogramCodec.encode(HistogramSpec.newHistogram()));
        assertThat(back.getTotalCount()).isZero();
    }

    @Test
    void refusesOtherPrecision() {
        Histogram other = new Histogram(1, 3_600_000_000L, 2);
        other.recordValue(100);
        byte[] bytes = HistogramCodec.encode(other).toByteArray();
        assertThatThrownBy(() -> HistogramCodec.decode(bytes))
                .isInstanceOf(CorruptHistogramException.class)
                .hasMessageContaining("3 digits, got 1..3600000000 with 2 digits");
    }

    @Test
    void refusesGarbageTruncationAndBitFlipsWithoutThrowingAnythingElse() {
        Histogram h = HistogramSpec.newHistogram();
        for (int i = 1; i < 5000; i++) {
            h.recordValue(i * 37L);
        }
        byte[] good = HistogramCodec.encode(h).toByteArray();
        assertThatThrownBy(() -> HistogramCodec.decode(new byte[3])).isInstanceOf(CorruptHistogramException.class);
        assertThatThrownBy(() -> HistogramCodec.decode(Arrays.copyOf(good, good.length / 2)))
                .isInstanceOf(CorruptHistogramException.class);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 2000; i++) {
            byte[] mutated = good.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                mutated[random.nextInt(mutated.length)] ^= (byte) (1 << random.nextInt(8));
            }
            try {
                Histogram decoded = HistogramCodec.decode(mutated);
                assertThat(decoded.getTotalCount()).isNotNegative();
            } catch (CorruptHistogramException expected) {
                // a precise rejection is the other acceptable outcome
            }
        }
        for (int i = 0; i < 2000; i++) {
            byte[] noise = new byte[random.nextInt(200)];
            for (int b = 0; b < noise.length; b++) {
                noise[b] = (byte) random.nextInt(256);
            }
            assertThatThrownBy(() -> HistogramCodec.decode(noise)).isInstanceOf(CorruptHistogramException.class);
        }
    }
}
