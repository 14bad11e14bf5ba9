package io.salvo.platform.lambda;

import io.salvo.testkit.FakeClock;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A {@link Clock} view of the test kit's {@link FakeClock}, for code that takes a java.time clock. */
final class TestClocks {

    private TestClocks() {}

    static Clock of(FakeClock fake) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                throw new UnsupportedOperationException("UTC only");
            }

            @Override
            public Instant instant() {
                long nanos = fake.unixNanos();
                return Instant.ofEpochSecond(
                        Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
            }
        };
    }
}
