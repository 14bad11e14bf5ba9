package io.salvo.benchmark;

import io.salvo.detect.PlatformInstance;
import io.salvo.detect.PlatformInstanceSignals;
import io.salvo.platform.InstanceRecord;
import io.salvo.platform.PlatformDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The detectors' view of a platform driver's ground truth for one run: instants become microseconds since
 * the run's interval-0 instant; an instance is named by the id it reports in {@code Salvo-Instance-Id}, or by
 * its platform name until that is known.
 */
final class PlatformSignalsView implements PlatformInstanceSignals {

    private final PlatformDriver driver;
    private final Instant runStart;

    PlatformSignalsView(PlatformDriver driver, Instant runStart) {
        this.driver = driver;
        this.runStart = runStart;
    }

    @Override
    public String sourceLabel() {
        return driver.label();
    }

    @Override
    public List<PlatformInstance> instances() {
        return driver.signals().instances().stream()
                .filter(i -> i.spawnedAt() != null)
                .map(this::toDetectorView)
                .toList();
    }

    private PlatformInstance toDetectorView(InstanceRecord record) {
        return new PlatformInstance(
                record.instanceId() != null ? record.instanceId() : record.name(),
                offsetMicros(record.spawnedAt()),
                nullableOffset(record.readyAt()),
                nullableOffset(record.stoppedAt()),
                record.modelLoadMillis());
    }

    private Long nullableOffset(Instant instant) {
        return instant == null ? null : offsetMicros(instant);
    }

    long offsetMicros(Instant instant) {
        Duration d = Duration.between(runStart, instant);
        return d.getSeconds() * 1_000_000L + d.getNano() / 1_000;
    }
}
