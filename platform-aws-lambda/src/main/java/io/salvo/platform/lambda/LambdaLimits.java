package io.salvo.platform.lambda;

import io.salvo.platform.DeploymentSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * AWS Lambda's limits that decide whether a deployment can run at all, checked before any call to AWS. Each message
 * names the limit, the value asked for, the source, and what to do instead.
 *
 * <p>The table was read on {@value #CHECKED} from the sources named in each entry. AWS changes these rarely, and
 * always upwards so far; when a message here contradicts the console, the console is right and this table is due for
 * an update (one place: the constants below).
 */
public final class LambdaLimits {

    /** When the table was last compared with its sources. */
    public static final String CHECKED = "2026-12-05";

    private static final String QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
    private static final String MEMORY_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html";
    private static final String SNAPSTART_DOC =
            "https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-considerations";

    /** One limit: its name, bounds, unit and where it is written down. */
    public record Limit(String name, long min, long max, String unit, String source) {
        String range() {
            return min == max
                    ? String.format(Locale.ROOT, "%,d %s", max, unit)
                    : String.format(Locale.ROOT, "%,d–%,d %s", min, max, unit);
        }
    }

    public static final Limit MEMORY = new Limit("memory", 128, 10_240, "MB", QUOTAS);
    public static final Limit EPHEMERAL_STORAGE = new Limit("ephemeral storage (/tmp)", 512, 10_240, "MB", QUOTAS);
    public static final Limit TIMEOUT = new Limit("function timeout", 1, 900, "s", QUOTAS);
    public static final Limit ZIP_ZIPPED =
            new Limit("deployment package (.zip, direct upload), zipped", 0, 50L * 1024 * 1024, "bytes", QUOTAS);
    public static final Limit ZIP_UNZIPPED =
            new Limit("deployment package (.zip), unzipped, including layers", 0, 250L * 1024 * 1024, "bytes", QUOTAS);
    public static final Limit IMAGE = new Limit(
            "container image code package, uncompressed, including layers",
            0,
            10L * 1024 * 1024 * 1024,
            "bytes",
            QUOTAS);
    public static final Limit VCPUS = new Limit("vCPUs (follow memory: 1 vCPU at 1,769 MB)", 0, 6, "vCPUs", MEMORY_DOC);
    public static final Limit GPUS = new Limit("GPUs", 0, 0, "GPUs", QUOTAS + " (Lambda offers no GPU or accelerator)");
    public static final Limit CONCURRENCY_PER_INSTANCE = new Limit(
            "requests per execution environment",
            1,
            1,
            "request",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html");
    public static final Limit ENVIRONMENT = new Limit("environment variables, total", 0, 4 * 1024, "bytes", QUOTAS);

    /** The one table, for the documentation and the table-driven test. */
    public static final List<Limit> TABLE = List.of(
            MEMORY,
            EPHEMERAL_STORAGE,
            TIMEOUT,
            ZIP_ZIPPED,
            ZIP_UNZIPPED,
            IMAGE,
            VCPUS,
            GPUS,
            CONCURRENCY_PER_INSTANCE,
            ENVIRONMENT);

    /**
     * Sizes of the model-server's models ({@code docs/model-server.md}, "Models"), so a zip package can be judged
     * before anything is built. A model not listed needs the {@code model-bytes} setting for that check.
     */
    static final Map<String, Long> MODEL_BYTES = Map.of(
            "minilm", 90_000_000L,
            "distilbert-shape", 266_000_000L,
            "bert-base-shape", 439_000_000L,
            "tiny-bert-shape", 9_000_000L,
            "tabular-logreg", 12_000L);

    private LambdaLimits() {}

    /**
     * Every violation of the deployment against the table, one message each; empty when it fits. Reads the zip
     * package's directory (sizes only) and nothing else.
     */
    public static List<String> violations(LambdaSettings settings, DeploymentSpec spec) {
        int gpus = settings.gpus();
        List<String> violations = new ArrayList<>();
        if (spec.model() == null || spec.model().isBlank()) {
            violations.add("a model name is required");
        }
        int memory = settings.memoryMb() != null ? settings.memoryMb() : spec.memoryMbPerInstance();
        range(violations, MEMORY, memory, "set memory-mb (or the plan's memory) within it, in 1 MB steps");
        range(violations, EPHEMERAL_STORAGE, settings.ephemeralStorageMb(), "set ephemeral-storage-mb within it");
        range(violations, TIMEOUT, settings.timeout().toSeconds(), "set timeout-s within it");
        if (spec.cpusPerInstance() > VCPUS.max()) {
            violations.add(message(VCPUS, spec.cpusPerInstance() + " vCPUs asked for")
                    + "; at most 6 vCPUs (10,240 MB); for more per instance use cloud-run or kubernetes");
        }
        if (gpus > 0) {
            violations.add(
                    message(GPUS, gpus + " asked for") + "; run GPU models on cloud-run (NVIDIA L4) or kubernetes");
        }
        Integer concurrency = spec.concurrencyPerInstance();
        if (concurrency != null && concurrency != 1) {
            violations.add(message(CONCURRENCY_PER_INSTANCE, concurrency + " asked for")
                    + "; Lambda scales out by one environment per concurrent request: leave concurrency unset or 1");
        }
        Map<String, String> env = new java.util.TreeMap<>(spec.env());
        env.putAll(settings.env());
        long envBytes = env.entrySet().stream()
                .mapToLong(e -> e.getKey().length() + e.getValue().length())
                .sum();
        if (envBytes > ENVIRONMENT.max()) {
            violations.add(message(ENVIRONMENT, String.format(Locale.ROOT, "%,d bytes", envBytes))
                    + "; pass large values in the package instead");
        }
        Integer min = spec.minInstances();
        if (min != null && min > 0 && settings.provisionedConcurrency() < min) {
            violations.add("minimum instances: " + min + " asked for; Lambda keeps environments initialised only with"
                    + " provisioned concurrency, which is billed while enabled: set provisioned-concurrency to " + min
                    + " (source: https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)");
        }
        Integer max = spec.maxInstances();
        if (max != null && (max < 1 || max < settings.provisionedConcurrency())) {
            violations.add("maximum instances: " + max + " asked for; Lambda's reserved concurrency must be at least 1"
                    + " and at least the provisioned concurrency (" + settings.provisionedConcurrency() + ") (source:"
                    + " https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)");
        }
        if (settings.provisionedConcurrency() < 0) {
            violations.add("provisioned-concurrency must not be negative, got " + settings.provisionedConcurrency());
        }
        snapStart(violations, settings);
        Long model = settings.modelBytes() != null ? settings.modelBytes() : MODEL_BYTES.get(spec.model());
        if (settings.packageType() == LambdaSettings.PackageType.ZIP) {
            zip(violations, settings.zipFile(), spec.model(), model);
        } else if (model != null && model > IMAGE.max()) {
            violations.add(message(IMAGE, "model " + spec.model() + " alone is " + mb(model))
                    + "; no Lambda package can hold it: use cloud-run or kubernetes");
        }
        return violations;
    }

    private static void snapStart(List<String> violations, LambdaSettings settings) {
        if (!settings.snapStart()) {
            return;
        }
        if (settings.packageType() == LambdaSettings.PackageType.IMAGE) {
            violations.add("SnapStart does not support container images (source: " + SNAPSTART_DOC
                    + "); use package-type zip with a Java managed runtime, or turn snapstart off");
        } else if (!settings.runtime().startsWith("java")) {
            violations.add("SnapStart here is for Java managed runtimes, got runtime " + settings.runtime()
                    + " (source: " + SNAPSTART_DOC + ")");
        }
        if (settings.provisionedConcurrency() > 0) {
            violations.add("SnapStart and provisioned concurrency cannot be used on the same function version (source: "
                    + SNAPSTART_DOC + "); measure them as two configurations");
        }
        if (settings.ephemeralStorageMb() > 512) {
            violations.add("SnapStart supports ephemeral storage of 512 MB only, got " + settings.ephemeralStorageMb()
                    + " MB (source: " + SNAPSTART_DOC + ")");
        }
    }

    private static void zip(List<String> violations, Path zipFile, String model, Long modelBytes) {
        if (!Files.isRegularFile(zipFile)) {
            violations.add("zip-file " + zipFile + " does not exist or is not a file");
            return;
        }
        long zipped;
        long unzipped = 0;
        boolean modelInside = false;
        try (ZipFile zip = new ZipFile(zipFile.toFile())) {
            zipped = Files.size(zipFile);
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                unzipped += Math.max(0, entry.getSize());
                modelInside |= entry.getName().endsWith(model + "/model.onnx");
            }
        } catch (IOException e) {
            violations.add("zip-file " + zipFile + " is not a readable zip archive: " + e.getMessage());
            return;
        }
        String suggestion = "; use package-type image with image-uri (container images up to 10 GB, "
                + "deploy/model-server/Dockerfile.lambda)";
        if (zipped > ZIP_ZIPPED.max()) {
            violations.add(message(ZIP_ZIPPED, zipFile.getFileName() + " is " + mb(zipped)) + suggestion);
        }
        long total = unzipped + (modelInside || modelBytes == null ? 0 : modelBytes);
        if (total > ZIP_UNZIPPED.max()) {
            String what = modelInside || modelBytes == null
                    ? zipFile.getFileName() + " unzips to " + mb(unzipped)
                    : "model " + model + " (about " + mb(modelBytes) + ") with its libraries (" + mb(unzipped)
                            + " unzipped) is " + mb(total);
            violations.add(message(ZIP_UNZIPPED, what) + suggestion);
        }
    }

    private static void range(List<String> violations, Limit limit, long value, String fix) {
        if (value < limit.min() || value > limit.max()) {
            violations.add(
                    message(limit, String.format(Locale.ROOT, "%,d %s asked for", value, limit.unit())) + "; " + fix);
        }
    }

    /** "memory: 64 MB asked for, Lambda allows 128–10,240 MB (source: ..., checked 2026-12-05)". */
    static String message(Limit limit, String value) {
        String allowed = !limit.unit().equals("bytes")
                ? limit.range()
                : limit.max() >= 1024 * 1024
                        ? "at most " + mb(limit.max())
                        : String.format(Locale.ROOT, "at most %,d bytes", limit.max());
        return limit.name() + ": " + value + ", Lambda allows " + allowed + " (source: " + limit.source() + ", checked "
                + CHECKED + ")";
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%,.0f MB", bytes / (1024.0 * 1024.0));
    }
}
