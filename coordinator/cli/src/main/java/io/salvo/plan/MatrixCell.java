package io.salvo.plan;

import io.salvo.platform.DeploymentSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One cell of an experiment matrix: one model on one platform in one configuration, with its load.
 *
 * @param model         the model's name ({@code SALVO_MODEL})
 * @param column        the platform column of the tables: the platform entry's name, plus {@code .configuration}
 *                      when the entry lists configurations
 * @param platform      the driver's name
 * @param config        the driver's settings
 * @param deployment    what to deploy (model, CPUs, memory, scaling, environment)
 * @param ratePerSecond the constant arrival rate of the cold and the warm run
 * @param cold          length of the run from zero instances
 * @param warm          length of the run on warm instances
 * @param requestTimeout each request's timeout
 * @param path          the inference path on the deployment's endpoint
 * @param file          the matrix file, for messages
 * @param line          1-based line of the cell's platform entry (or configuration), for messages
 */
public record MatrixCell(
        String model,
        String column,
        String platform,
        Map<String, String> config,
        DeploymentSpec deployment,
        double ratePerSecond,
        Duration cold,
        Duration warm,
        Duration requestTimeout,
        String path,
        String file,
        int line) {

    public MatrixCell {
        config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
    }

    /** {@code <model>.<column>}: unique within a matrix, and the prefix of the cell's files. */
    public String id() {
        return model + "." + column;
    }

    /** The cell with settings added where the matrix left them out (e.g. the local model-server jar). */
    public MatrixCell withConfigDefaults(Map<String, String> defaults) {
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        merged.putAll(config);
        return new MatrixCell(
                model,
                column,
                platform,
                merged,
                deployment,
                ratePerSecond,
                cold,
                warm,
                requestTimeout,
                path,
                file,
                line);
    }

    /**
     * A digest of everything that decides what the cell measures; a finished cell whose definition changed since is
     * run again on resume.
     */
    public String fingerprint() {
        String text = String.join(
                "\n",
                model,
                column,
                platform,
                new TreeMap<>(config).toString(),
                deployment.toString().replace(deployment.env().toString(), new TreeMap<>(deployment.env()).toString()),
                Double.toString(ratePerSecond),
                cold.toString(),
                warm.toString(),
                requestTimeout.toString(),
                path);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
