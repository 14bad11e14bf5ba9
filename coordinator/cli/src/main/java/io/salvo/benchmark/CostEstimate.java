package io.salvo.benchmark;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import io.salvo.report.CostSection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The estimated cost of one run, and per million predictions:
 * {@code cost per million = Σ (billed amount × unit price) ÷ predictions × 10⁶}, from the platform's billed
 * quantities over the run's window and a dated {@link PriceTable}. A quantity the table cannot price is listed in
 * {@code unpriced}, and the estimate is then a lower bound.
 *
 * @param priceTable        which table priced it ("built-in" or a file)
 * @param pricesAsOf        the table's date
 * @param currency          the table's currency
 * @param windowSeconds     length of the usage window
 * @param predictions       successful predictions in the window
 * @param predictionsSource who counted them: the platform, or Salvo's 2xx responses
 * @param lines             one per billed quantity (as the run report carries them)
 * @param total             Σ of the priced lines
 * @param perMillion        total ÷ predictions × 10⁶; null without a prediction
 * @param unpriced          dimensions with no price (or a price in another unit)
 */
public record CostEstimate(
        @JsonProperty("price_table") String priceTable,
        @JsonProperty("prices_as_of") String pricesAsOf,
        @JsonProperty("currency") String currency,
        @JsonProperty("window_s") double windowSeconds,
        @JsonProperty("predictions") long predictions,
        @JsonProperty("predictions_source") String predictionsSource,
        @JsonProperty("lines") List<CostSection.Line> lines,
        @JsonProperty("total") double total,
        @JsonProperty("per_million_predictions") Double perMillion,
        @JsonProperty("unpriced") List<String> unpriced) {

    /**
     * Prices {@code usage}.
     *
     * @param salvoSuccesses the 2xx responses Salvo counted in the run, used when the platform gives no count
     */
    public static CostEstimate of(PlatformUsage usage, long salvoSuccesses, PriceTable table) {
        List<CostSection.Line> lines = new ArrayList<>();
        List<String> unpriced = new ArrayList<>();
        double total = 0;
        for (UsageQuantity q : usage.quantities()) {
            Optional<PriceTable.Price> price =
                    table.price(q.dimension()).filter(p -> p.unit().equals(q.unit()));
            if (price.isEmpty()) {
                unpriced.add(q.dimension()
                        + table.price(q.dimension())
                                .map(p -> " (priced per " + p.unit() + ", measured in " + q.unit() + ")")
                                .orElse(""));
                lines.add(new CostSection.Line(q.dimension(), q.amount(), q.unit(), q.basis(), null, null, null));
                continue;
            }
            double cost = q.amount() * price.get().price();
            total += cost;
            lines.add(new CostSection.Line(
                    q.dimension(),
                    q.amount(),
                    q.unit(),
                    q.basis(),
                    price.get().key(),
                    price.get().price(),
                    cost));
        }
        boolean byPlatform = usage.predictions() != null;
        long predictions = byPlatform ? usage.predictions() : salvoSuccesses;
        return new CostEstimate(
                table.name(),
                table.asOf(),
                table.currency(),
                Duration.between(usage.from(), usage.to()).toNanos() / 1e9,
                predictions,
                byPlatform ? "platform" : "salvo 2xx responses",
                lines,
                total,
                predictions > 0 ? total / predictions * 1e6 : null,
                unpriced);
    }

    /** The estimate as the JSON run report carries it ({@code cost}), with what it leaves out. */
    public CostSection section() {
        return new CostSection(
                total,
                currency,
                perMillion,
                predictions,
                predictionsSource,
                windowSeconds,
                priceTable,
                pricesAsOf,
                !complete(),
                unpriced,
                CostSection.LEAVES_OUT,
                lines);
    }

    /** True when every quantity was priced. */
    public boolean complete() {
        return unpriced.isEmpty();
    }
}
