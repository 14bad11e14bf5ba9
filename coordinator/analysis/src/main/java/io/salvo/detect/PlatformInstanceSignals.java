package io.salvo.detect;

import java.util.List;

/**
 * Instance life cycles reported by the platform the target runs on (pod readiness, Lambda init, the
 * local driver's ground truth). The detectors fall back to it when responses carry no instance id.
 * Implemented by the run loop over a platform driver; it may be polled once per interval.
 */
public interface PlatformInstanceSignals {

    /** Names the source in results, e.g. "local driver, lambda-like (emulation)". */
    String sourceLabel();

    /** Every instance known so far, in any order; later calls may add instances or fill in times. */
    List<PlatformInstance> instances();
}
