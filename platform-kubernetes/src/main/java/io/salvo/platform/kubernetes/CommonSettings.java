package io.salvo.platform.kubernetes;

import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.salvo.platform.DriverConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The settings both drivers read (keys in docs/platforms/kubernetes.md).
 *
 * @param context      kubeconfig context; null: the current one (in a pod: the in-cluster account)
 * @param masterUrl    API server URL overriding the kubeconfig's (a {@code kubectl proxy}, tests); null: kubeconfig
 * @param namespace    null: the context's namespace, else {@code default}
 * @param image        the model-server image
 * @param port         the model server's port in the container
 * @param runId        value of the {@code salvo.io/run} label on everything the driver creates
 * @param endpointUrl  a URL the user gives (ingress, load balancer); null: the driver's own port-forward (kubernetes)
 *                     or the route URL (knative)
 * @param hostHeader   the Host header an ingress routes by; null: none
 * @param nodeType     node type for usage when nodes carry no {@code node.kubernetes.io/instance-type} label
 * @param nodeSelector pods run only on nodes with these labels
 * @param tolerations  taints the pods tolerate
 * @param readyTimeout how long deploy and scale-up may take to be ready
 * @param coldTimeout  how long scale to zero may take
 * @param poll         how often the cluster is looked at
 * @param keep         leave everything in place at teardown ({@code --keep})
 */
public record CommonSettings(
        String context,
        String masterUrl,
        String namespace,
        String image,
        int port,
        String runId,
        URI endpointUrl,
        String hostHeader,
        String nodeType,
        Map<String, String> nodeSelector,
        List<Toleration> tolerations,
        Duration readyTimeout,
        Duration coldTimeout,
        Duration poll,
        boolean keep) {

    public static CommonSettings read(DriverConfig c) {
        String endpoint = c.string("endpoint-url", null);
        checkNodePrices(c);
        return new CommonSettings(
                c.string("context", null),
                c.string("master-url", null),
                c.string("namespace", null),
                c.requiredString("image"),
                c.integer("port", 8080),
                c.string(
                        "run-id",
                        HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())),
                endpoint == null ? null : URI.create(endpoint),
                c.string("host-header", null),
                c.string("node-type", null),
                pairs("node-selector", c.string("node-selector", "")),
                tolerations(c.string("tolerations", "")),
                c.millis("ready-timeout-ms", Duration.ofMinutes(10)),
                c.millis("cold-timeout-ms", Duration.ofMinutes(10)),
                c.millis("poll-ms", Duration.ofMillis(500)),
                Boolean.parseBoolean(c.string("keep", "false")));
    }

    /**
     * {@code node-price} (per node-hour of {@code node-type}) and {@code node-prices} ({@code type=price[,...]}): the
     * cost estimate prices node-hours with them instead of its price table (coordinator's PriceTable.withPlanPrices).
     * The driver does not price anything; it checks them here so that a bad value fails before anything is deployed.
     */
    static void checkNodePrices(DriverConfig c) {
        String single = c.string("node-price", null);
        if (single != null) {
            if (c.string("node-type", null) == null) {
                throw new IllegalArgumentException("setting 'node-price' prices the node-type, which is not set (or"
                        + " give node-prices: type=price[,type=price])");
            }
            positivePrice("node-price", single);
        }
        String several = c.string("node-prices", null);
        if (several != null) {
            Map<String, String> prices = pairs("node-prices", several);
            if (prices.isEmpty()) {
                throw new IllegalArgumentException("setting 'node-prices' takes type=price[,type=price]");
            }
            prices.forEach((type, price) -> positivePrice("node-prices", price));
        }
    }

    private static void positivePrice(String key, String text) {
        double value;
        try {
            value = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "setting '" + key + "': a price per node-hour must be a number, got '" + text + "'", e);
        }
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(
                    "setting '" + key + "': a price per node-hour must be positive, got '" + text + "'");
        }
    }

    /** A client for these settings; fails on nothing until the first call. */
    public KubernetesClient connect() {
        Config base = Config.autoConfigure(context);
        ConfigBuilder builder = new ConfigBuilder(base).withRequestRetryBackoffLimit(0);
        if (masterUrl != null) {
            builder.withMasterUrl(masterUrl).withTrustCerts(true);
        }
        return new KubernetesClientBuilder().withConfig(builder.build()).build();
    }

    String namespaceOr(KubernetesClient client) {
        if (namespace != null) {
            return namespace;
        }
        return client.getNamespace() != null ? client.getNamespace() : "default";
    }

    static Map<String, String> pairs(String key, String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : text.split(",", -1)) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "setting '" + key + "' takes key=value[,key=value], got '" + pair + "'");
            }
            out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return out;
    }

    /** {@code key[=value]:Effect[,...]}; Effect one of NoSchedule, PreferNoSchedule, NoExecute. */
    static List<Toleration> tolerations(String text) {
        List<Toleration> out = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            if (item.isBlank()) {
                continue;
            }
            int colon = item.lastIndexOf(':');
            String effect = colon < 0 ? "" : item.substring(colon + 1).trim();
            if (!List.of("NoSchedule", "PreferNoSchedule", "NoExecute").contains(effect)) {
                throw new IllegalArgumentException("setting 'tolerations' takes key[=value]:Effect with Effect"
                        + " NoSchedule, PreferNoSchedule or NoExecute, got '" + item + "'");
            }
            String keyValue = item.substring(0, colon).trim();
            int eq = keyValue.indexOf('=');
            TolerationBuilder t = new TolerationBuilder().withEffect(effect);
            if (eq < 0) {
                t.withKey(keyValue).withOperator("Exists");
            } else {
                t.withKey(keyValue.substring(0, eq)).withOperator("Equal").withValue(keyValue.substring(eq + 1));
            }
            out.add(t.build());
        }
        return out;
    }
}
