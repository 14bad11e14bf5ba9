package io.salvo.plan;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformLimitException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads an experiment matrix file ({@code salvo bench MATRIX.yaml}) into a {@link MatrixSpec}: every problem is a
 * {@link PlanException} with the file, line and field, found before anything is deployed. {@link #checkDrivers}
 * then has every cell's driver check its settings and the deployment against the platform's limits, still without
 * deploying.
 *
 * <pre>
 * name: seed                        # optional, default: the file's name
 * prices: my-prices.yaml            # optional price table (default: the built-in one)
 * load:                             # defaults for every model
 *   cold: 20s                       # run from zero instances
 *   warm: 10s                       # run on warm instances
 *   requestTimeout: 60s
 *   path: /v2/models/{model}/predict  # inference path; {model} is the model's name
 *   bodyFile: bodies.jsonl          # one JSON body per line (default: six short sentences)
 * models:
 *   - name: minilm
 *     rate: 30                      # req/s, constant, for both runs
 *     memory: 768                   # MiB per instance (default 512); cpus: 1
 *     cold: 20s                     # overrides of load
 * platforms:
 *   - name: lambda-like             # the table's column
 *     platform: local               # the driver (salvo platforms)
 *     config: {profile: lambda-like}
 *     deployment: {maxInstances: 2} # cpus, memory, minInstances, maxInstances, concurrency, env
 *     configurations:               # optional: one column each, "lambda-like.big"
 *       - name: big
 *         config: {...}             # laid over the entry's
 *         deployment: {memory: 2048}
 * </pre>
 */
public final class MatrixParser {

    private static final Set<String> TOP = Set.of("name", "prices", "load", "models", "platforms");
    private static final Set<String> LOAD = Set.of("cold", "warm", "requestTimeout", "path", "bodyFile");
    private static final Set<String> MODEL = Set.of("name", "rate", "cold", "warm", "memory", "cpus");
    private static final Set<String> PLATFORM = Set.of("name", "platform", "config", "deployment", "configurations");
    private static final Set<String> CONFIGURATION = Set.of("name", "config", "deployment");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    static final Duration DEFAULT_COLD = Duration.ofSeconds(20);
    static final Duration DEFAULT_WARM = Duration.ofSeconds(10);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    static final String DEFAULT_PATH = "/v2/models/{model}/predict";

    private record Model(String name, double rate, Duration cold, Duration warm, int memory, double cpus) {}

    /** A platform column: the entry's deployment, then the configuration's (either may be null), laid over the model's. */
    private record Column(
            String name,
            String platform,
            Map<String, String> config,
            Node deployment,
            Node variantDeployment,
            int line) {}

    /** Reads the matrix at {@code path}; a relative price table resolves against the matrix's folder. */
    public static MatrixSpec parse(Path path) throws PlanException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PlanException(path.toString(), 0, "", "matrix file not found");
        } catch (IOException e) {
            throw new PlanException(path.toString(), 0, "", "cannot read the matrix file: " + e.getMessage());
        }
        String fallbackName = path.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        return parse(
                path.toString(),
                fallbackName,
                new StringReader(text),
                path.toAbsolutePath().getParent());
    }

    /** Reads matrix text; {@code file} names it in messages. */
    public static MatrixSpec parse(String file, String fallbackName, Reader yaml, Path baseDir) throws PlanException {
        PlanNodes nodes = new PlanNodes(file);
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(50);
            root = new Yaml(options).compose(yaml);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new PlanException(file, line, "", "not readable as YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new PlanException(file, 0, "", "not readable as YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new PlanException(file, 1, "", "the matrix is empty");
        }
        Map<String, NodeTuple> top = nodes.mapping(root, "", TOP);
        String name = nodes.optionalString(top, "name", "", fallbackName);
        Path prices = null;
        NodeTuple pricesTuple = top.get("prices");
        if (pricesTuple != null) {
            String p = nodes.scalar(pricesTuple.getValueNode(), "prices");
            prices = baseDir == null ? Path.of(p) : baseDir.resolve(p);
            if (!Files.isRegularFile(prices)) {
                throw nodes.error(pricesTuple.getValueNode(), "prices", "price table not found: " + prices);
            }
        }
        Duration cold = DEFAULT_COLD;
        Duration warm = DEFAULT_WARM;
        Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        String path = DEFAULT_PATH;
        Path bodies = null;
        NodeTuple loadTuple = top.get("load");
        if (loadTuple != null) {
            Map<String, NodeTuple> load = nodes.mapping(loadTuple.getValueNode(), "load", LOAD);
            cold = seconds(nodes, load, "cold", "load.", cold);
            warm = seconds(nodes, load, "warm", "load.", warm);
            requestTimeout = Duration.ofMillis(nodes.optionalDurationMillis(
                    load, "requestTimeout", "load.", requestTimeout.toMillis(), 1, 3_600_000));
            NodeTuple pathTuple = load.get("path");
            if (pathTuple != null) {
                path = nodes.scalar(pathTuple.getValueNode(), "load.path");
                if (!path.startsWith("/")) {
                    throw nodes.error(pathTuple.getValueNode(), "load.path", "must start with /, got '" + path + "'");
                }
            }
            NodeTuple bodyTuple = load.get("bodyFile");
            if (bodyTuple != null) {
                String b = nodes.scalar(bodyTuple.getValueNode(), "load.bodyFile");
                bodies = baseDir == null ? Path.of(b) : baseDir.resolve(b);
                if (!Files.isRegularFile(bodies)) {
                    throw nodes.error(bodyTuple.getValueNode(), "load.bodyFile", "body file not found: " + bodies);
                }
            }
        }

        List<Model> models = new ArrayList<>();
        SequenceNode modelList = list(nodes, nodes.require(top, "models", "", root), "models");
        Set<String> modelNames = new HashSet<>();
        for (int i = 0; i < modelList.getValue().size(); i++) {
            Node node = modelList.getValue().get(i);
            String field = "models[" + i + "]";
            Map<String, NodeTuple> m = nodes.mapping(node, field, MODEL);
            String modelName = name(nodes, nodes.require(m, "name", field + ".", node), field + ".name");
            if (!modelNames.add(modelName)) {
                throw nodes.error(
                        m.get("name").getValueNode(), field + ".name", "model '" + modelName + "' is listed twice");
            }
            NodeTuple rateTuple = nodes.require(m, "rate", field + ".", node);
            double rate = nodes.number(rateTuple.getValueNode(), field + ".rate");
            if (rate <= 0 || rate > 1_000_000) {
                throw nodes.error(
                        rateTuple.getValueNode(),
                        field + ".rate",
                        "must be above 0 and at most 1000000 req/s, got " + rate);
            }
            double cpus = 1;
            NodeTuple cpusTuple = m.get("cpus");
            if (cpusTuple != null) {
                cpus = nodes.number(cpusTuple.getValueNode(), field + ".cpus");
                if (cpus <= 0 || cpus > 1024) {
                    throw nodes.error(cpusTuple.getValueNode(), field + ".cpus", "must be above 0 and at most 1024");
                }
            }
            models.add(new Model(
                    modelName,
                    rate,
                    seconds(nodes, m, "cold", field + ".", cold),
                    seconds(nodes, m, "warm", field + ".", warm),
                    nodes.optionalPositiveInt(m, "memory", field + ".", 512, 1 << 20),
                    cpus));
        }
        if (models.isEmpty()) {
            throw nodes.error(modelList, "models", "lists no model");
        }

        DeploymentReader deployments = new DeploymentReader(nodes);
        List<Column> columns = new ArrayList<>();
        SequenceNode platformList = list(nodes, nodes.require(top, "platforms", "", root), "platforms");
        Set<String> columnNames = new HashSet<>();
        for (int i = 0; i < platformList.getValue().size(); i++) {
            Node node = platformList.getValue().get(i);
            String field = "platforms[" + i + "]";
            Map<String, NodeTuple> p = nodes.mapping(node, field, PLATFORM);
            String columnName = name(nodes, nodes.require(p, "name", field + ".", node), field + ".name");
            NodeTuple driverTuple = nodes.require(p, "platform", field + ".", node);
            String driver = nodes.scalar(driverTuple.getValueNode(), field + ".platform");
            PlatformDriver.Factory factory =
                    PlatformSectionReader.factory(nodes, driverTuple.getValueNode(), field + ".platform", driver);
            Map<String, String> config = new LinkedHashMap<>();
            NodeTuple configTuple = p.get("config");
            if (configTuple != null) {
                config.putAll(deployments.strings(configTuple.getValueNode(), field + ".config"));
            }
            NodeTuple deploymentTuple = p.get("deployment");
            Node deployment = deploymentTuple == null ? null : deploymentTuple.getValueNode();
            if (deployment != null) {
                // read once here for its messages; applied per model below
                deployments.read(deployment, field + ".deployment", DeploymentSpec.of("check"), false);
            }
            NodeTuple configurations = p.get("configurations");
            if (configurations == null) {
                addColumn(
                        nodes,
                        columnNames,
                        columns,
                        new Column(columnName, driver, config, deployment, null, line(node)),
                        p.get("name").getValueNode(),
                        field + ".name");
                PlatformSectionReader.checkSettings(
                        nodes,
                        factory,
                        config,
                        configTuple == null ? node : configTuple.getValueNode(),
                        field + ".config");
                continue;
            }
            SequenceNode variants = list(nodes, configurations, field + ".configurations");
            if (variants.getValue().isEmpty()) {
                throw nodes.error(variants, field + ".configurations", "lists no configuration");
            }
            for (int j = 0; j < variants.getValue().size(); j++) {
                Node variant = variants.getValue().get(j);
                String vField = field + ".configurations[" + j + "]";
                Map<String, NodeTuple> v = nodes.mapping(variant, vField, CONFIGURATION);
                String variantName = name(nodes, nodes.require(v, "name", vField + ".", variant), vField + ".name");
                Map<String, String> variantConfig = new LinkedHashMap<>(config);
                NodeTuple vConfig = v.get("config");
                if (vConfig != null) {
                    variantConfig.putAll(deployments.strings(vConfig.getValueNode(), vField + ".config"));
                }
                NodeTuple vDeployment = v.get("deployment");
                if (vDeployment != null) {
                    deployments.read(
                            vDeployment.getValueNode(), vField + ".deployment", DeploymentSpec.of("check"), false);
                }
                Column column = new Column(
                        columnName + "." + variantName,
                        driver,
                        variantConfig,
                        deployment,
                        vDeployment == null ? null : vDeployment.getValueNode(),
                        line(variant));
                addColumn(nodes, columnNames, columns, column, v.get("name").getValueNode(), vField + ".name");
                PlatformSectionReader.checkSettings(
                        nodes,
                        factory,
                        variantConfig,
                        vConfig != null ? vConfig.getValueNode() : variant,
                        vField + ".config");
            }
        }
        if (columns.isEmpty()) {
            throw nodes.error(platformList, "platforms", "lists no platform");
        }

        List<MatrixCell> cells = new ArrayList<>();
        for (Model model : models) {
            for (Column column : columns) {
                DeploymentSpec spec =
                        new DeploymentSpec(model.name(), model.cpus(), model.memory(), null, null, null, Map.of());
                if (column.deployment() != null) {
                    spec = deployments.read(column.deployment(), "deployment", spec, false);
                }
                if (column.variantDeployment() != null) {
                    spec = deployments.read(column.variantDeployment(), "deployment", spec, false);
                }
                cells.add(new MatrixCell(
                        model.name(),
                        column.name(),
                        column.platform(),
                        column.config(),
                        spec,
                        model.rate(),
                        model.cold(),
                        model.warm(),
                        requestTimeout,
                        path.replace("{model}", model.name()),
                        file,
                        column.line()));
            }
        }
        return new MatrixSpec(name, file, prices, bodies, cells);
    }

    /**
     * Has every cell's driver check the deployment against its platform's limits (and its settings), still without
     * deploying; the first refusal becomes an error at the cell's line.
     */
    public static void checkDrivers(MatrixSpec matrix) throws PlanException {
        for (MatrixCell cell : matrix.cells()) {
            PlatformDriver driver;
            try {
                driver = io.salvo.platform.PlatformDrivers.factory(cell.platform())
                        .create(cell.config());
            } catch (IllegalArgumentException e) {
                throw new PlanException(cell.file(), cell.line(), cell.column() + ".config", e.getMessage());
            }
            try (driver) {
                driver.validate(cell.deployment());
            } catch (PlatformLimitException e) {
                throw new PlanException(cell.file(), cell.line(), cell.id(), e.getMessage());
            }
        }
    }

    private static void addColumn(
            PlanNodes nodes, Set<String> names, List<Column> columns, Column column, Node nameNode, String field)
            throws PlanException {
        if (!names.add(column.name())) {
            throw nodes.error(nameNode, field, "platform column '" + column.name() + "' is listed twice");
        }
        columns.add(column);
    }

    private static SequenceNode list(PlanNodes nodes, NodeTuple tuple, String field) throws PlanException {
        if (!(tuple.getValueNode() instanceof SequenceNode sequence)) {
            throw nodes.error(tuple.getValueNode(), field, "must be a list");
        }
        return sequence;
    }

    private static String name(PlanNodes nodes, NodeTuple tuple, String field) throws PlanException {
        String value = nodes.scalar(tuple.getValueNode(), field);
        if (!NAME.matcher(value).matches()) {
            throw nodes.error(
                    tuple.getValueNode(),
                    field,
                    "must be letters, digits, '-' or '_' (it names files), at most 63, got '" + value + "'");
        }
        return value;
    }

    private static Duration seconds(
            PlanNodes nodes, Map<String, NodeTuple> map, String key, String prefix, Duration fallback)
            throws PlanException {
        NodeTuple tuple = map.get(key);
        if (tuple == null) {
            return fallback;
        }
        long millis = nodes.optionalDurationMillis(map, key, prefix, fallback.toMillis(), 1000, 3_600_000);
        if (millis % 1000 != 0) {
            throw nodes.error(tuple.getValueNode(), prefix + key, "must be whole seconds, got " + millis + " ms");
        }
        return Duration.ofMillis(millis);
    }

    private static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    private MatrixParser() {}
}
