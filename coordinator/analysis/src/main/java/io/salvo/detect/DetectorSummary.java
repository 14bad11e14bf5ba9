package io.salvo.detect;

import io.salvo.detect.DetectionEvent.ColdStart;
import io.salvo.detect.DetectionEvent.InstancesInInterval;
import java.util.List;

/**
 * Everything the detectors decided so far; after the last interval, the run's final answer.
 *
 * @param timeToFirstSuccess null while no 2xx was seen ("no successful response")
 */
public record DetectorSummary(
        DetectorSettings settings,
        InstanceSource instanceSource,
        String instanceSourceLabel,
        List<ColdStart> coldStarts,
        TimeToFirstSuccess timeToFirstSuccess,
        SteadyState steadyState,
        WarmLatency warmLatency,
        List<InstancesInInterval> instancesOverTime) {}
