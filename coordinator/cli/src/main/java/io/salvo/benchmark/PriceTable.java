package io.salvo.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Unit prices by usage dimension, dated, each with its source: the built-in table
 * ({@code io/salvo/benchmark/price-table.yaml}, the one file where Salvo's prices live) or a user's file in the same
 * format. A dimension without its own entry is priced by its parent key ({@code a:b:c} by {@code a:b}).
 *
 * @param name     where the table came from ("built-in" or the file)
 * @param asOf     the day its prices were read from their sources
 * @param currency e.g. USD
 * @param prices   resolved entries by dimension ({@code same_as} followed)
 */
public record PriceTable(String name, String asOf, String currency, Map<String, Price> prices) {

    static final String BUILT_IN = "price-table.yaml";

    /**
     * One unit price.
     *
     * @param key    the entry that priced it (after {@code same_as} and parent keys)
     * @param price  per unit, in the table's currency
     * @param unit   the billing unit it applies to; a quantity in another unit is not priced by it
     * @param source where the price was read
     */
    public record Price(String key, double price, String unit, String source) {}

    public PriceTable {
        prices = Map.copyOf(prices);
    }

    /** The table shipped with Salvo. */
    public static PriceTable builtIn() {
        try (InputStream in = PriceTable.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("the built-in price table is missing from the class path");
            }
            return read("built-in", new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException | PriceTableException e) {
            throw new IllegalStateException("the built-in price table is unreadable: " + e.getMessage(), e);
        }
    }

    /** A user's table (same format as the built-in one). */
    public static PriceTable read(Path file) throws PriceTableException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(file.toString(), reader);
        } catch (IOException e) {
            throw new PriceTableException(file + ": cannot be read: " + e.getMessage());
        }
    }

    static PriceTable read(String name, Reader reader) throws PriceTableException {
        Object root;
        try {
            root = new Yaml(new LoaderOptions()).load(reader);
        } catch (YAMLException e) {
            throw new PriceTableException(name + ": not readable as YAML: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new PriceTableException(name + ": must be a mapping with as_of, currency and prices");
        }
        Object asOf = top.get("as_of");
        Object currency = top.get("currency");
        if (asOf == null || currency == null || !(top.get("prices") instanceof Map<?, ?> entries)) {
            throw new PriceTableException(name + ": as_of, currency and prices are required");
        }
        Map<String, Map<?, ?>> raw = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> entry)) {
                throw new PriceTableException(name + ": prices." + e.getKey() + " must be a mapping");
            }
            raw.put(String.valueOf(e.getKey()), entry);
        }
        Map<String, Price> resolved = new LinkedHashMap<>();
        for (String key : raw.keySet()) {
            resolved.put(key, resolve(name, key, raw, 0));
        }
        return new PriceTable(name, String.valueOf(asOf), String.valueOf(currency), resolved);
    }

    private static Price resolve(String name, String key, Map<String, Map<?, ?>> raw, int depth)
            throws PriceTableException {
        Map<?, ?> entry = raw.get(key);
        if (entry == null) {
            throw new PriceTableException(name + ": same_as names '" + key + "', which has no entry");
        }
        if (depth > 8) {
            throw new PriceTableException(name + ": prices." + key + ": same_as goes round in a circle");
        }
        Object sameAs = entry.get("same_as");
        if (sameAs != null) {
            return resolve(name, String.valueOf(sameAs), raw, depth + 1);
        }
        Object price = entry.get("price");
        Object unit = entry.get("unit");
        Object source = entry.get("source");
        if (!(price instanceof Number number) || unit == null || source == null) {
            throw new PriceTableException(
                    name + ": prices." + key + " needs a numeric price, a unit and a source (or same_as)");
        }
        double value = number.doubleValue();
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new PriceTableException(name + ": prices." + key + ": price must be a non-negative number");
        }
        return new Price(key, value, String.valueOf(unit), String.valueOf(source));
    }

    /** The price of {@code dimension}: its own entry, else the nearest parent key's. */
    public Optional<Price> price(String dimension) {
        String key = dimension;
        while (true) {
            Price p = prices.get(key);
            if (p != null) {
                return Optional.of(p);
            }
            int colon = key.lastIndexOf(':');
            if (colon <= 0) {
                return Optional.empty();
            }
            key = key.substring(0, colon);
        }
    }

    /** A price table file that cannot be used; the message names the file and the entry. */
    public static final class PriceTableException extends Exception {
        private static final long serialVersionUID = 1L;

        public PriceTableException(String message) {
            super(message);
        }
    }
}
