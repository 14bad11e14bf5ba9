package io.salvo.coordinator.clock;

import java.time.Instant;

/** The coordinator's wall clock in unix nanoseconds; timing tests pass a fake one ({@code FakeClock::unixNanos}). */
@FunctionalInterface
public interface WallClock {

    long unixNanos();

    static WallClock system() {
        return () -> {
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }
}
