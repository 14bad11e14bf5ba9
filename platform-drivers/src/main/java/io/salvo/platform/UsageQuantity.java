package io.salvo.platform;

import java.util.Objects;

/**
 * One billed quantity of a deployment over a measured window, in the unit the platform bills it.
 *
 * <p>Dimensions are named {@code <platform>:<what>[:<variant>]} and are the keys of the price table that turns
 * usage into a cost estimate, e.g. {@code aws-lambda:requests}, {@code aws-lambda:gb-seconds:arm64},
 * {@code cloud-run:vcpu-seconds}, {@code cloud-run:gib-seconds}, {@code kubernetes:node-hours:e2-standard-4}.
 *
 * @param dimension what is billed (the price table's key)
 * @param amount    how much of it, in {@code unit}
 * @param unit      the billing unit, e.g. {@code requests}, {@code GB-s}, {@code vCPU-s}, {@code node-h}
 * @param basis     where the figure comes from, for the report: e.g. "CloudWatch REPORT lines (Billed Duration ×
 *                  memory)" or "instance count samples × configured vCPU (estimate)"
 */
public record UsageQuantity(String dimension, double amount, String unit, String basis) {

    public UsageQuantity {
        Objects.requireNonNull(dimension, "dimension");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(basis, "basis");
        if (!(amount >= 0) || Double.isInfinite(amount)) {
            throw new IllegalArgumentException(dimension + ": amount must be a finite non-negative number: " + amount);
        }
    }
}
