/**
 * The coordinator's Prometheus exposition: every run's merged live snapshots as counters, gauges and a latency
 * histogram in the text format 0.0.4, and the feed that keeps them current across the cluster. No HTTP server here:
 * the coordinator's web router serves {@link io.salvo.coordinator.metrics.PrometheusMetrics#scrape()} at
 * {@code /metrics}.
 */
package io.salvo.coordinator.metrics;
