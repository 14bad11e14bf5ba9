package io.salvo.plan;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * The plan's optional {@code platform} section ({@link PlatformSection}). The driver must be one of those found on
 * the class path, and its settings must be ones it reads: both are checked here, with the line, before anything is
 * deployed.
 */
final class PlatformSectionReader {

    private static final Set<String> KEYS = Set.of("name", "config", "deployment", "forceCold", "keep", "readyTimeout");

    private final PlanNodes nodes;
    private final String file;

    PlatformSectionReader(PlanNodes nodes, String file) {
        this.nodes = nodes;
        this.file = file;
    }

    PlatformSection read(Node node) throws PlanException {
        Map<String, NodeTuple> section = nodes.mapping(node, "platform", KEYS);
        NodeTuple name = nodes.require(section, "name", "platform.", node);
        String platform = nodes.scalar(name.getValueNode(), "platform.name");
        PlatformDriver.Factory factory = factory(nodes, name.getValueNode(), "platform.name", platform);
        DeploymentReader deployments = new DeploymentReader(nodes);
        Map<String, String> config = Map.of();
        NodeTuple configTuple = section.get("config");
        if (configTuple != null) {
            config = deployments.strings(configTuple.getValueNode(), "platform.config");
        }
        checkSettings(
                nodes, factory, config, configTuple == null ? node : configTuple.getValueNode(), "platform.config");
        NodeTuple deployment = nodes.require(section, "deployment", "platform.", node);
        DeploymentSpec spec =
                deployments.read(deployment.getValueNode(), "platform.deployment", DeploymentSpec.of(null), true);
        if (spec.model() == null || spec.model().isBlank()) {
            throw nodes.error(deployment.getValueNode(), "platform.deployment.model", "missing required key");
        }
        boolean forceCold = bool(section.get("forceCold"), "platform.forceCold");
        boolean keep = bool(section.get("keep"), "platform.keep");
        long readyMillis =
                nodes.optionalDurationMillis(section, "readyTimeout", "platform.", 300_000, 1_000, 3_600_000);
        return new PlatformSection(
                platform,
                config,
                spec,
                forceCold,
                keep,
                Duration.ofMillis(readyMillis),
                file,
                node.getStartMark().getLine() + 1);
    }

    private boolean bool(NodeTuple tuple, String field) throws PlanException {
        if (tuple == null) {
            return false;
        }
        String text = nodes.scalar(tuple.getValueNode(), field);
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw nodes.error(tuple.getValueNode(), field, "must be true or false, got '" + text + "'");
        };
    }

    /** The registered driver called {@code name}, or an error at {@code node} naming the known ones. */
    static PlatformDriver.Factory factory(PlanNodes nodes, Node node, String field, String name) throws PlanException {
        try {
            return PlatformDrivers.factory(name);
        } catch (IllegalArgumentException e) {
            throw nodes.error(node, field, e.getMessage() + " (salvo platforms lists them)");
        }
    }

    /**
     * Creates a driver from the settings, which makes the driver check them (an unknown or malformed key is
     * refused), and drops it without deploying anything.
     */
    static void checkSettings(
            PlanNodes nodes, PlatformDriver.Factory factory, Map<String, String> config, Node node, String field)
            throws PlanException {
        try {
            // created only to have the driver check its settings; nothing was deployed, so teardown is a no-op
            factory.create(config).close();
        } catch (IllegalArgumentException e) {
            throw nodes.error(node, field, e.getMessage());
        } catch (RuntimeException e) {
            throw nodes.error(node, field, factory.name() + " refused its settings: " + e);
        }
    }
}
