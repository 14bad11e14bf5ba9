package io.salvo.benchmark;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
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

    /** A node type's price per node-hour for the kubernetes and knative cells: their settings' key. */
    public static final String NODE_PRICE = "node-price";
    /** Prices of several node types, {@code type=price[,type=price]} (an autoscaler may provision several pools). */
    public static final String NODE_PRICES = "node-prices";

    static final String NODE_HOURS = "kubernetes:node-hours:";

    /**
     * This table with the node prices the plan gives (a cell's or a plan's platform settings: {@code node-price} for
     * its {@code node-type}, {@code node-prices} for several), which override the table's entries for those node
     * types; this table itself when no settings give one.
     *
     * @param settings each cell's platform settings
     * @throws PriceTableException a price that is not a positive number, {@code node-price} without
     *                             {@code node-type}, or two cells pricing one node type differently
     */
    public PriceTable withPlanPrices(Collection<Map<String, String>> settings) throws PriceTableException {
        Map<String, Price> plan = new LinkedHashMap<>();
        for (Map<String, String> config : settings) {
            Map<String, Double> given = new LinkedHashMap<>();
            String single = config.get(NODE_PRICE);
            if (single != null) {
                String type = config.get("node-type");
                if (type == null || type.isBlank()) {
                    throw new PriceTableException(
                            NODE_PRICE + " prices the plan's node-type, which is not set (or give node-prices:"
                                    + " type=price[,type=price])");
                }
                given.put(type.strip(), nodePrice(NODE_PRICE, single));
            }
            String several = config.get(NODE_PRICES);
            if (several != null) {
                for (String pair : several.split(",", -1)) {
                    int eq = pair.indexOf('=');
                    if (pair.isBlank() || eq <= 0) {
                        throw new PriceTableException(
                                NODE_PRICES + " takes type=price[,type=price] (per node-hour), got '" + several + "'");
                    }
                    given.put(pair.substring(0, eq).strip(), nodePrice(NODE_PRICES, pair.substring(eq + 1)));
                }
            }
            for (Map.Entry<String, Double> e : given.entrySet()) {
                String dimension = NODE_HOURS + e.getKey();
                Price price = new Price(
                        dimension,
                        e.getValue(),
                        "node-h",
                        "the plan's settings (" + NODE_PRICE + "/" + NODE_PRICES + "), overriding the " + name
                                + " price table");
                Price before = plan.putIfAbsent(dimension, price);
                if (before != null && before.price() != price.price()) {
                    throw new PriceTableException("node type " + e.getKey() + " is priced " + before.price() + " and "
                            + price.price() + " per node-hour by two cells; one price per node type");
                }
            }
        }
        if (plan.isEmpty()) {
            return this;
        }
        Map<String, Price> merged = new LinkedHashMap<>(prices);
        merged.putAll(plan);
        return new PriceTable(name + " + the plan's node prices", asOf, currency, merged);
    }

    private static double nodePrice(String key, String text) throws PriceTableException {
        double value;
        try {
            value = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new PriceTableException(key + ": a price per node-hour must be a number, got '" + text + "'");
        }
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new PriceTableException(key + ": a price per node-hour must be positive, got '" + text + "'");
        }
        return value;
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
