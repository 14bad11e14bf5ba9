/**
 * The live web dashboard a coordinator serves over HTTP (Vert.x Web): a run list, a run page whose charts follow the
 * run over Server-Sent Events, and the JSON behind them. It reads only what every coordinator of a cluster has (the
 * replicated run records, snapshots and reports), so any coordinator serves any run, and a page whose coordinator
 * dies continues on another. The same port serves Prometheus's {@code /metrics} (every run of the cluster, merged)
 * and an open {@code /healthz} for probes.
 */
package io.salvo.coordinator.http;
