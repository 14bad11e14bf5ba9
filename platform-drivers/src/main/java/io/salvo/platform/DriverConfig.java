package io.salvo.platform;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a driver's string settings with clear errors; {@link #rejectUnknownKeys()} catches typos such as
 * {@code max-instance}, which would otherwise be silently ignored.
 */
public final class DriverConfig {

    private final String platform;
    private final Map<String, String> values;
    private final Set<String> read = new HashSet<>();

    public DriverConfig(String platform, Map<String, String> values) {
        this.platform = platform;
        this.values = Map.copyOf(values);
    }

    public String string(String key, String defaultValue) {
        read.add(key);
        String value = values.get(key);
        return value == null || value.isBlank() ? defaultValue : value.trim();
    }

    public String requiredString(String key) {
        String value = string(key, null);
        if (value == null) {
            throw new IllegalArgumentException(platform + ": setting '" + key + "' is required");
        }
        return value;
    }

    public Integer integer(String key, Integer defaultValue) {
        String value = string(key, null);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    platform + ": setting '" + key + "' must be an integer, got '" + value + "'");
        }
    }

    /** A duration in milliseconds (the key should end in {@code -ms}). */
    public Duration millis(String key, Duration defaultValue) {
        Integer value = integer(key, null);
        if (value == null) {
            return defaultValue;
        }
        if (value < 0) {
            throw new IllegalArgumentException(platform + ": setting '" + key + "' must not be negative, got " + value);
        }
        return Duration.ofMillis(value);
    }

    /**
     * Fails on settings that the driver never read: a misspelt key must not pass silently.
     *
     * @throws IllegalArgumentException listing keys that no read asked for
     */
    public void rejectUnknownKeys() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    platform + ": unknown setting(s) " + unknown + "; known: " + new TreeSet<>(read));
        }
    }
}
