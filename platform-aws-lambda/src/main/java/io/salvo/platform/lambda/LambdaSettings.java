package io.salvo.platform.lambda;

import io.salvo.platform.DriverConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The aws-lambda driver's settings, parsed from a plan's string map with errors that name the key. Nothing here
 * talks to AWS; {@link LambdaLimits} checks the values against the platform's limits.
 *
 * @param functionName          the function to create; null = {@code salvo-<model>-<8 hex>} chosen at deploy
 * @param region                AWS region; null = the SDK's default region chain ({@code AWS_REGION}, profile, ...)
 * @param role                  ARN of the execution role the function runs as (required to deploy)
 * @param packageType           container image or zip archive
 * @param imageUri              ECR image URI (package type image)
 * @param zipFile               the deployment package (package type zip)
 * @param handler               handler of a zip package
 * @param runtime               managed runtime of a zip package
 * @param memoryMb              memory per execution environment, MB; null = the deployment spec's memory
 * @param ephemeralStorageMb    size of /tmp, MB
 * @param timeout               longest invocation
 * @param architecture          {@code x86_64} or {@code arm64}
 * @param env                   environment of the function (on top of the spec's and the driver's own)
 * @param access                function URL or the Invoke API
 * @param urlAuth               function URL auth type, {@code NONE} or {@code AWS_IAM}
 * @param snapStart             SnapStart on published versions (Java zip packages only)
 * @param provisionedConcurrency environments kept initialised (0 = none)
 * @param keep                  leave everything in place at teardown
 * @param endpoint              endpoint override for Lambda and CloudWatch Logs (tests, fakes); null = AWS
 * @param logGroup              the function's log group; null = {@code /aws/lambda/<function>}
 * @param readyTimeout          longest wait for the function (and its update) to become Active and Successful
 * @param modelBytes            size of the model file when it is not one the driver knows (zip limit check)
 * @param maxAttempts           SDK attempts per call, including retries of throttled calls
 * @param gpus                  GPUs per instance the plan asks for (Lambda has none: any is refused by validate)
 */
public record LambdaSettings(
        String functionName,
        String region,
        String role,
        PackageType packageType,
        String imageUri,
        Path zipFile,
        String handler,
        String runtime,
        Integer memoryMb,
        int ephemeralStorageMb,
        Duration timeout,
        String architecture,
        Map<String, String> env,
        Access access,
        String urlAuth,
        boolean snapStart,
        int provisionedConcurrency,
        boolean keep,
        URI endpoint,
        String logGroup,
        Duration readyTimeout,
        Long modelBytes,
        int maxAttempts,
        int gpus) {

    /** How the deployment is packaged. */
    public enum PackageType {
        IMAGE,
        ZIP
    }

    /** How load reaches the function. */
    public enum Access {
        /** A function URL (HTTPS endpoint); the load generator targets it directly. */
        URL,
        /** No URL: the Lambda Invoke API (the driver invokes; a load generator would need SigV4 and event wrapping). */
        INVOKE
    }

    public static final String DEFAULT_HANDLER = "io.salvo.modelserver.lambda.FunctionUrlHandler::handleRequest";
    public static final String DEFAULT_RUNTIME = "java17";
    private static final Pattern COMMA = Pattern.compile(",");

    /** Every key, in the order the documentation lists them. */
    public static final String KEYS = "function-name, region, role, package-type (image|zip), image-uri, zip-file,"
            + " handler, runtime, memory-mb, ephemeral-storage-mb, timeout-s, architecture (x86_64|arm64),"
            + " env (K=V,K=V), access (url|invoke), url-auth (NONE|AWS_IAM), snapstart, provisioned-concurrency, keep,"
            + " endpoint, log-group, ready-timeout-ms, model-bytes, max-attempts, gpus";

    public LambdaSettings {
        env = Map.copyOf(env);
    }

    /** Parses and checks the syntax of every key; limits are {@link LambdaLimits}' job. */
    public static LambdaSettings parse(Map<String, String> values) {
        DriverConfig config = new DriverConfig(LambdaPlatformDriver.NAME, values);
        String imageUri = config.string("image-uri", null);
        String zip = config.string("zip-file", null);
        String packageName = config.string("package-type", imageUri != null ? "image" : zip != null ? "zip" : null);
        if (packageName == null) {
            throw new IllegalArgumentException(
                    "aws-lambda: set 'image-uri' (container image in ECR) or 'zip-file' (deployment package)");
        }
        PackageType packageType = oneOf("package-type", packageName, PackageType.class);
        if (packageType == PackageType.IMAGE && imageUri == null) {
            throw new IllegalArgumentException("aws-lambda: package-type image needs 'image-uri'");
        }
        if (packageType == PackageType.ZIP && zip == null) {
            throw new IllegalArgumentException("aws-lambda: package-type zip needs 'zip-file'");
        }
        String architecture = config.string("architecture", "x86_64").toLowerCase(Locale.ROOT);
        if (!architecture.equals("x86_64") && !architecture.equals("arm64")) {
            throw new IllegalArgumentException(
                    "aws-lambda: setting 'architecture' must be x86_64 or arm64, got '" + architecture + "'");
        }
        String urlAuth = config.string("url-auth", "NONE").toUpperCase(Locale.ROOT);
        if (!urlAuth.equals("NONE") && !urlAuth.equals("AWS_IAM")) {
            throw new IllegalArgumentException(
                    "aws-lambda: setting 'url-auth' must be NONE or AWS_IAM, got '" + urlAuth + "'");
        }
        String endpoint = config.string("endpoint", null);
        URI endpointUri;
        try {
            endpointUri = endpoint == null ? null : URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("aws-lambda: setting 'endpoint' is not a URI: '" + endpoint + "'");
        }
        String modelBytes = config.string("model-bytes", null);
        Integer timeoutSeconds = config.integer("timeout-s", 60);
        LambdaSettings settings = new LambdaSettings(
                config.string("function-name", null),
                config.string("region", null),
                config.string("role", null),
                packageType,
                imageUri,
                zip == null ? null : Path.of(zip),
                config.string("handler", DEFAULT_HANDLER),
                config.string("runtime", DEFAULT_RUNTIME),
                config.integer("memory-mb", null),
                config.integer("ephemeral-storage-mb", 512),
                Duration.ofSeconds(timeoutSeconds),
                architecture,
                parseEnv(config.string("env", null)),
                oneOf("access", config.string("access", "url"), Access.class),
                urlAuth,
                bool(config, "snapstart"),
                config.integer("provisioned-concurrency", 0),
                bool(config, "keep"),
                endpointUri,
                config.string("log-group", null),
                config.millis("ready-timeout-ms", Duration.ofMinutes(5)),
                modelBytes == null ? null : parseLong("model-bytes", modelBytes),
                config.integer("max-attempts", 3),
                config.integer("gpus", 0));
        config.rejectUnknownKeys();
        if (settings.maxAttempts() < 1) {
            throw new IllegalArgumentException("aws-lambda: setting 'max-attempts' must be at least 1");
        }
        return settings;
    }

    /** Same settings, with a different function name. */
    public LambdaSettings withFunctionName(String name) {
        return new LambdaSettings(
                name,
                region,
                role,
                packageType,
                imageUri,
                zipFile,
                handler,
                runtime,
                memoryMb,
                ephemeralStorageMb,
                timeout,
                architecture,
                env,
                access,
                urlAuth,
                snapStart,
                provisionedConcurrency,
                keep,
                endpoint,
                logGroup,
                readyTimeout,
                modelBytes,
                maxAttempts,
                gpus);
    }

    /** True when the driver publishes a version and points an alias (and the URL) at it. */
    public boolean publishesVersion() {
        return snapStart || provisionedConcurrency > 0;
    }

    private static boolean bool(DriverConfig config, String key) {
        String value = config.string(key, "false").toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(
                    "aws-lambda: setting '" + key + "' must be true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "aws-lambda: setting '" + key + "' must be an integer, got '" + value + "'");
        }
    }

    private static <E extends Enum<E>> E oneOf(String key, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder known = new StringBuilder();
            for (E constant : type.getEnumConstants()) {
                known.append(known.length() == 0 ? "" : ", ")
                        .append(constant.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(
                    "aws-lambda: setting '" + key + "' must be one of " + known + ", got '" + value + "'");
        }
    }

    /** {@code K=V,K=V}; names as Lambda allows them (a letter, then letters, digits and underscores). */
    static Map<String, String> parseEnv(String text) {
        Map<String, String> env = new LinkedHashMap<>();
        if (text == null) {
            return env;
        }
        for (String pair : COMMA.splitAsStream(text).toList()) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            if (eq < 0 || !name.matches("[A-Za-z][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("aws-lambda: setting 'env' must be NAME=value pairs separated by"
                        + " commas (names: a letter, then letters, digits, _), got '" + pair.trim() + "'");
            }
            env.put(name, pair.substring(eq + 1).trim());
        }
        return env;
    }
}
