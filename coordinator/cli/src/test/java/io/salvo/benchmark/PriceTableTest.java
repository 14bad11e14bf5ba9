package io.salvo.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The price table's lookups and the estimate's arithmetic, on a small table with round prices. */
class PriceTableTest {

    private static final String TABLE = """
            as_of: "2030-01-01"
            currency: USD
            prices:
              p:requests: {price: 0.000001, unit: requests, source: test}
              p:seconds: {price: 0.01, unit: s, source: test}
              p:seconds:fast: {price: 0.02, unit: s, source: test}
              q:requests: {same_as: p:requests}
            """;

    private static PriceTable table() throws Exception {
        return PriceTable.read("test", new StringReader(TABLE));
    }

    @Test
    void aDimensionIsPricedByItsOwnEntryElseItsParentsAndSameAsFollowsAnother() throws Exception {
        PriceTable t = table();
        assertThat(t.asOf()).isEqualTo("2030-01-01");
        assertThat(t.price("p:seconds:fast").orElseThrow().price()).isEqualTo(0.02);
        assertThat(t.price("p:seconds:slow").orElseThrow().key()).isEqualTo("p:seconds");
        assertThat(t.price("q:requests").orElseThrow().price()).isEqualTo(0.000001);
        assertThat(t.price("r:requests")).isEmpty();
    }

    @Test
    void theEstimateIsTheSumOfAmountsTimesPricesPerMillionPredictions() throws Exception {
        Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
        PlatformUsage usage = new PlatformUsage(
                t0,
                t0.plusSeconds(10),
                null,
                List.of(
                        new UsageQuantity("p:requests", 1000, "requests", "b"),
                        new UsageQuantity("p:seconds:slow", 50, "s", "b"),
                        new UsageQuantity("p:seconds:fast", 5, "ms", "b"), // wrong unit: not priced
                        new UsageQuantity("z:egress", 3, "GB", "b"))); // no entry
        CostEstimate cost = CostEstimate.of(usage, 800, table());
        // 1000 x 0.000001 + 50 x 0.01 = 0.501 for 800 predictions (Salvo's count: the platform gave none)
        assertThat(cost.total()).isCloseTo(0.501, within(1e-12));
        assertThat(cost.predictions()).isEqualTo(800);
        assertThat(cost.predictionsSource()).isEqualTo("salvo 2xx responses");
        assertThat(cost.perMillion()).isCloseTo(0.501 / 800 * 1e6, within(1e-9));
        assertThat(cost.unpriced()).containsExactly("p:seconds:fast (priced per s, measured in ms)", "z:egress");
        assertThat(cost.complete()).isFalse();
        assertThat(cost.windowSeconds()).isEqualTo(10.0);
        assertThat(ComparisonTables.money(cost.perMillion())).isEqualTo("$626");
        assertThat(ComparisonTables.money(0.000123456)).isEqualTo("$0.000123");
    }

    @Test
    void thePlatformsOwnPredictionCountWinsAndNoPredictionMeansNoPerMillionFigure() throws Exception {
        Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
        List<UsageQuantity> q = List.of(new UsageQuantity("p:requests", 10, "requests", "b"));
        assertThat(CostEstimate.of(new PlatformUsage(t0, t0, 5L, q), 999, table())
                        .predictions())
                .isEqualTo(5);
        assertThat(CostEstimate.of(new PlatformUsage(t0, t0, 0L, q), 999, table())
                        .perMillion())
                .isNull();
    }

    @Test
    void theBuiltInTableIsDatedAndPricesEveryDimensionTheDriversReport() {
        PriceTable t = PriceTable.builtIn();
        assertThat(t.asOf()).matches("\\d{4}-\\d{2}-\\d{2}");
        for (String dimension : List.of(
                "aws-lambda:requests",
                "aws-lambda:gb-seconds:x86_64",
                "aws-lambda:gb-seconds:arm64",
                "aws-lambda:provisioned-gb-seconds:x86_64",
                "aws-lambda:provisioned-gb-seconds:arm64",
                "cloud-run:requests",
                "cloud-run:vcpu-seconds",
                "cloud-run:gib-seconds",
                "kubernetes:node-hours:e2-standard-4",
                "local:lambda-like:requests",
                "local:lambda-like:gb-seconds",
                "local:cloud-run-like:requests",
                "local:cloud-run-like:vcpu-seconds",
                "local:cloud-run-like:gib-seconds",
                "local:k8s-like:vcpu-seconds",
                "local:k8s-like:gib-seconds")) {
            assertThat(t.price(dimension)).as(dimension).isPresent();
            assertThat(t.price(dimension).orElseThrow().source()).as(dimension).isNotBlank();
        }
        assertThat(t.price("kubernetes:node-hours:unknown-type")).isEmpty();
    }

    @Test
    void aBrokenTableIsRefusedNamingTheEntry() {
        assertThatThrownBy(() -> PriceTable.read(
                        "mine.yaml",
                        new StringReader(
                                "as_of: x\ncurrency: USD\nprices:\n  a:b: {price: cheap, unit: s, source: me}\n")))
                .hasMessageContaining("mine.yaml: prices.a:b needs a numeric price");
        assertThatThrownBy(() -> PriceTable.read(
                        "mine.yaml", new StringReader("as_of: x\ncurrency: USD\nprices:\n  a:b: {same_as: a:b}\n")))
                .hasMessageContaining("circle");
    }
}
