/**
 * The live web dashboard a coordinator serves over HTTP (Vert.x Web): a run list, a run page whose charts follow the
 * run over Server-Sent Events, and the JSON behind them. It reads only what every coordinator of a cluster has (the
 * replicated run records, snapshots and reports), so any coordinator serves any run, and a page whose coordinator
 * dies continues on another. Other handlers (Prometheus {@code /metrics}) mount on the same router through {@link
 * io.salvo.coordinator.http.DashboardSettings#routes()}.
 */
package io.salvo.coordinator.http;
