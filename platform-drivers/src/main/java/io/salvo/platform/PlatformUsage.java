package io.salvo.platform;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a deployment consumed, in billing units, between two instants: the input of the cost estimate
 * ({@code cost per million predictions = Σ amount × unit price ÷ predictions × 10⁶}).
 *
 * @param from        start of the window (inclusive)
 * @param to          end of the window (exclusive)
 * @param predictions successful predictions the platform served in the window, as the platform counted them;
 *                    null when only the load generator's count is known
 * @param quantities  one entry per billed dimension
 */
public record PlatformUsage(Instant from, Instant to, Long predictions, List<UsageQuantity> quantities) {

    public PlatformUsage {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        quantities = List.copyOf(quantities);
    }
}
