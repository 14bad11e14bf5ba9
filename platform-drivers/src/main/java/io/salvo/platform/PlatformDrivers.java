package io.salvo.platform;

import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Finds platform driver factories registered through {@link ServiceLoader}. */
public final class PlatformDrivers {

    private PlatformDrivers() {}

    /** Every registered factory, by name. */
    public static List<PlatformDriver.Factory> factories() {
        TreeMap<String, PlatformDriver.Factory> byName = new TreeMap<>();
        for (PlatformDriver.Factory factory : ServiceLoader.load(PlatformDriver.Factory.class)) {
            byName.putIfAbsent(factory.name(), factory);
        }
        return List.copyOf(byName.values());
    }

    /**
     * The factory of the platform called {@code name}.
     *
     * @throws IllegalArgumentException naming the known platforms when {@code name} is not one of them
     */
    public static PlatformDriver.Factory factory(String name) {
        List<PlatformDriver.Factory> all = factories();
        return all.stream()
                .filter(f -> f.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown platform '" + name + "'; known: "
                        + all.stream().map(PlatformDriver.Factory::name).collect(Collectors.joining(", "))));
    }
}
