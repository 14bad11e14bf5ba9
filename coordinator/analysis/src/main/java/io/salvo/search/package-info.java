/**
 * Capacity search: the highest request rate a target sustains within service-level objectives. Steps of open-model
 * load grow geometrically until an objective fails, then bisect; each step is judged on its steady-state intervals
 * only, and a step the load generator itself could not offer is reported as a generator limit, never blamed on the
 * target. Pure: the rate sequence and the verdicts depend only on the step reports given.
 */
package io.salvo.search;
