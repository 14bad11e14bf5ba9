package io.salvo.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The run's estimated cost inside the JSON report ({@code "cost"}; null when the run has none: a run without a
 * platform, or one whose platform reported no billed usage). Computed by the CLI from the platform's billed usage over
 * the run and a dated price table (docs/cost.md); the analysis layer knows no prices, so this type only carries it.
 *
 * <p>Additive within report schema 1: fields are added, never renamed. Every line of the computation is kept, so the
 * figure can be checked by hand.
 *
 * @param total                 Σ of the priced lines, in {@code currency}
 * @param currency              the price table's currency (the built-in table's is USD)
 * @param perMillionPredictions total ÷ predictions × 10⁶; null without a prediction
 * @param predictions           successful predictions in the window
 * @param predictionsSource     who counted them: {@code platform}, or {@code salvo 2xx responses}
 * @param windowSeconds         length of the usage window (the run's first interval to its end)
 * @param priceTable            which table priced it ({@code built-in}, a file, plus the plan's node prices)
 * @param pricesAsOf            the table's date
 * @param lowerBound            true when a quantity could not be priced ({@code unpriced}): the total is then a lower
 *                              bound
 * @param unpriced              the dimensions without a price (or with a price in another unit)
 * @param leavesOut             what the estimate does not include, in words
 * @param lines                 one per billed quantity
 */
public record CostSection(
        @JsonProperty("total") double total,
        @JsonProperty("currency") String currency,
        @JsonProperty("per_million_predictions") Double perMillionPredictions,
        @JsonProperty("predictions") long predictions,
        @JsonProperty("predictions_source") String predictionsSource,
        @JsonProperty("window_s") double windowSeconds,
        @JsonProperty("price_table") String priceTable,
        @JsonProperty("prices_as_of") String pricesAsOf,
        @JsonProperty("lower_bound") boolean lowerBound,
        @JsonProperty("unpriced") List<String> unpriced,
        @JsonProperty("leaves_out") String leavesOut,
        @JsonProperty("lines") List<Line> lines) {

    /** The estimate's limits as docs/cost.md states them, carried with each figure so a reader of the JSON sees them. */
    public static final String LEAVES_OUT = "on-demand list prices of one region, first pricing tier; not included: "
            + "free tiers, savings plans and committed-use discounts, volume tiers, network egress, storage, load "
            + "balancers and API gateways, a cluster's management fee, idle time outside the run's window";

    public CostSection {
        unpriced = unpriced == null ? List.of() : List.copyOf(unpriced);
        lines = lines == null ? List.of() : List.copyOf(lines);
    }

    /**
     * One billed quantity and what it costs.
     *
     * @param priceKey  the price table entry used; null when unpriced
     * @param unitPrice null when unpriced
     * @param cost      amount × unit price; null when unpriced
     */
    public record Line(
            @JsonProperty("dimension") String dimension,
            @JsonProperty("amount") double amount,
            @JsonProperty("unit") String unit,
            @JsonProperty("basis") String basis,
            @JsonProperty("price_key") String priceKey,
            @JsonProperty("unit_price") Double unitPrice,
            @JsonProperty("cost") Double cost) {}
}
