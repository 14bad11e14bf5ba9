package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformLimitException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every limit of the table, each with its message: the limit's name, the value asked for, the source and date, and
 * what to do instead. Checked by {@code validate}, before any call to AWS.
 */
class LambdaLimitsTest {

    private static final String QUOTAS =
            "source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html," + " checked "
                    + LambdaLimits.CHECKED;
    private static final String IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm";

    @TempDir
    static Path dir;

    static Stream<Arguments> violations() {
        return Stream.of(
                Arguments.of(
                        "memory below 128 MB",
                        Map.of("memory-mb", "64"),
                        spec(),
                        List.of("memory: 64 MB asked for, Lambda allows 128–10,240 MB (" + QUOTAS
                                + "); set memory-mb (or the plan's memory) within it, in 1 MB steps")),
                Arguments.of(
                        "memory above 10,240 MB",
                        Map.of("memory-mb", "10241"),
                        spec(),
                        List.of("memory: 10,241 MB asked for, Lambda allows 128–10,240 MB (" + QUOTAS
                                + "); set memory-mb (or the plan's memory) within it, in 1 MB steps")),
                Arguments.of(
                        "the plan's memory when memory-mb is not set",
                        Map.of(),
                        new DeploymentSpec("minilm", 1, 100, null, null, null, Map.of()),
                        List.of("memory: 100 MB asked for, Lambda allows 128–10,240 MB (" + QUOTAS
                                + "); set memory-mb (or the plan's memory) within it, in 1 MB steps")),
                Arguments.of(
                        "ephemeral storage below 512 MB",
                        Map.of("ephemeral-storage-mb", "256"),
                        spec(),
                        List.of("ephemeral storage (/tmp): 256 MB asked for, Lambda allows 512–10,240 MB (" + QUOTAS
                                + "); set ephemeral-storage-mb within it")),
                Arguments.of(
                        "ephemeral storage above 10,240 MB",
                        Map.of("ephemeral-storage-mb", "20480"),
                        spec(),
                        List.of("ephemeral storage (/tmp): 20,480 MB asked for, Lambda allows 512–10,240 MB (" + QUOTAS
                                + "); set ephemeral-storage-mb within it")),
                Arguments.of(
                        "timeout above 15 minutes",
                        Map.of("timeout-s", "901"),
                        spec(),
                        List.of("function timeout: 901 s asked for, Lambda allows 1–900 s (" + QUOTAS
                                + "); set timeout-s within it")),
                Arguments.of(
                        "timeout of zero",
                        Map.of("timeout-s", "0"),
                        spec(),
                        List.of("function timeout: 0 s asked for, Lambda allows 1–900 s (" + QUOTAS
                                + "); set timeout-s within it")),
                Arguments.of(
                        "a GPU",
                        Map.of("gpus", "1"),
                        spec(),
                        List.of(
                                "GPUs: 1 asked for, Lambda allows 0 GPUs (source: https://docs.aws.amazon.com/lambda/latest/dg/"
                                        + "gettingstarted-limits.html (Lambda offers no GPU or accelerator), checked "
                                        + LambdaLimits.CHECKED
                                        + "); run GPU models on cloud-run (NVIDIA L4) or kubernetes")),
                Arguments.of(
                        "more than 6 vCPUs",
                        Map.of(),
                        new DeploymentSpec("minilm", 8, 2048, null, null, null, Map.of()),
                        List.of(
                                "vCPUs (follow memory: 1 vCPU at 1,769 MB): 8.0 vCPUs asked for, Lambda allows 0–6 vCPUs"
                                        + " (source: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html, checked "
                                        + LambdaLimits.CHECKED
                                        + "); at most 6 vCPUs (10,240 MB); for more per instance use"
                                        + " cloud-run or kubernetes")),
                Arguments.of(
                        "more than one request per environment",
                        Map.of(),
                        spec().withScaling(null, null, 4),
                        List.of("requests per execution environment: 4 asked for, Lambda allows 1 request (source:"
                                + " https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html, checked "
                                + LambdaLimits.CHECKED
                                + "); Lambda scales out by one environment per concurrent request:"
                                + " leave concurrency unset or 1")),
                Arguments.of(
                        "minimum instances without provisioned concurrency",
                        Map.of(),
                        spec().withScaling(1, null, null),
                        List.of(
                                "minimum instances: 1 asked for; Lambda keeps environments initialised only with"
                                        + " provisioned concurrency, which is billed while enabled: set provisioned-concurrency"
                                        + " to 1 (source: https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html)")),
                Arguments.of(
                        "maximum instances below the provisioned concurrency",
                        Map.of("provisioned-concurrency", "4"),
                        spec().withScaling(null, 2, null),
                        List.of(
                                "maximum instances: 2 asked for; Lambda's reserved concurrency must be at least 1 and at"
                                        + " least the provisioned concurrency (4) (source:"
                                        + " https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html)")),
                Arguments.of(
                        "environment over 4 KB",
                        Map.of("env", "BIG=" + "x".repeat(4100)),
                        spec(),
                        List.of("environment variables, total: 4,103 bytes, Lambda allows at most 4,096 bytes ("
                                + QUOTAS + "); pass large values in the package instead")),
                Arguments.of(
                        "a model larger than any image",
                        Map.of("model-bytes", Long.toString(11L << 30)),
                        spec(),
                        List.of(
                                "container image code package, uncompressed, including layers: model minilm alone is 11,264 MB,"
                                        + " Lambda allows at most 10,240 MB (" + QUOTAS
                                        + "); no Lambda package can hold it: use cloud-run or kubernetes")),
                Arguments.of(
                        "SnapStart on a container image",
                        Map.of("snapstart", "true"),
                        spec(),
                        List.of("SnapStart does not support container images (source:"
                                + " https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-considerations);"
                                + " use package-type zip with a Java managed runtime, or turn snapstart off")),
                Arguments.of(
                        "SnapStart with provisioned concurrency and a large /tmp",
                        Map.of(
                                "snapstart",
                                "true",
                                "provisioned-concurrency",
                                "2",
                                "ephemeral-storage-mb",
                                "1024",
                                "zip-file",
                                zip("small.zip", 1_000, false).toString(),
                                "package-type",
                                "zip"),
                        spec(),
                        List.of(
                                "SnapStart and provisioned concurrency cannot be used on the same function version (source:"
                                        + " https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-considerations);"
                                        + " measure them as two configurations",
                                "SnapStart supports ephemeral storage of 512 MB only, got 1024 MB (source:"
                                        + " https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-considerations)")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("violations")
    void eachLimitHasItsMessage(String what, Map<String, String> settings, DeploymentSpec spec, List<String> expected) {
        assertThat(LambdaLimits.violations(settings(settings), spec)).as(what).containsExactlyElementsOf(expected);
    }

    @Test
    void theBoundariesThemselvesFit() {
        assertThat(LambdaLimits.violations(
                        settings(Map.of("memory-mb", "128", "ephemeral-storage-mb", "512", "timeout-s", "1")), spec()))
                .isEmpty();
        assertThat(LambdaLimits.violations(
                        settings(Map.of("memory-mb", "10240", "ephemeral-storage-mb", "10240", "timeout-s", "900")),
                        new DeploymentSpec("bert-base-shape", 6, 10240, 0, 100, 1, Map.of())))
                .isEmpty();
    }

    @Test
    void distilBertWithItsLibrariesExceedsAZipAndTheMessageSuggestsAContainerImage() {
        Path zip = zip("model-server-lambda.zip", 30_000, false);
        List<String> violations = LambdaLimits.violations(
                settings(Map.of("zip-file", zip.toString())), DeploymentSpec.of("distilbert-shape"));
        assertThat(violations)
                .containsExactly("deployment package (.zip), unzipped, including layers: model"
                        + " distilbert-shape (about 254 MB) with its libraries (0 MB unzipped) is 254 MB, Lambda allows at most"
                        + " 250 MB (" + QUOTAS
                        + "); use package-type image with image-uri (container images up to 10 GB,"
                        + " deploy/model-server/Dockerfile.lambda)");
        // the same model fits a container image
        assertThat(LambdaLimits.violations(settings(Map.of()), DeploymentSpec.of("distilbert-shape")))
                .isEmpty();
        // a model inside the package is counted once, by the package's own size
        Path inside = zip("with-model.zip", 1_000, true);
        assertThat(LambdaLimits.violations(
                        settings(Map.of("zip-file", inside.toString(), "model-bytes", Long.toString(300L << 20))),
                        DeploymentSpec.of("tiny-bert-shape")))
                .isEmpty();
    }

    @Test
    void aZipOverFiftyMegabytesZippedIsRefused() throws IOException {
        // 51 MB stored (not deflated), so the archive itself is that large; zeros keep the CRC cheap
        Path big = dir.resolve("big.zip");
        byte[] zeros = new byte[51 << 20];
        CRC32 crc = new CRC32();
        crc.update(zeros);
        ZipEntry entry = new ZipEntry("lib/zeros.bin");
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(zeros.length);
        entry.setCompressedSize(zeros.length);
        entry.setCrc(crc.getValue());
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(big))) {
            out.putNextEntry(entry);
            out.write(zeros);
            out.closeEntry();
        }
        List<String> violations = LambdaLimits.violations(
                settings(Map.of("zip-file", big.toString())), DeploymentSpec.of("tabular-logreg"));
        assertThat(violations).hasSize(1);
        assertThat(violations.get(0))
                .startsWith(
                        "deployment package (.zip, direct upload), zipped: big.zip is 51 MB, Lambda allows at most 50 MB (")
                .endsWith("); use package-type image with image-uri (container images up to 10 GB,"
                        + " deploy/model-server/Dockerfile.lambda)");
    }

    @Test
    void aMissingOrBrokenZipIsNamed() throws IOException {
        assertThat(LambdaLimits.violations(settings(Map.of("zip-file", "/nonexistent/x.zip")), spec()))
                .containsExactly("zip-file /nonexistent/x.zip does not exist or is not a file");
        Path broken = Files.writeString(dir.resolve("broken.zip"), "not a zip");
        assertThat(LambdaLimits.violations(settings(Map.of("zip-file", broken.toString())), spec()))
                .singleElement()
                .asString()
                .startsWith("zip-file " + broken + " is not a readable zip archive");
    }

    @Test
    void validateListsEveryViolationBeforeAnyCall() {
        // an endpoint nobody listens on: a call would fail differently
        LambdaPlatformDriver driver = new LambdaPlatformDriver(
                settings(Map.of("memory-mb", "64", "timeout-s", "1000", "gpus", "1", "endpoint", "http://127.0.0.1:9")),
                LambdaPlatformDriver.Environment.defaults(),
                java.time.Clock.systemUTC());
        assertThatThrownBy(() -> driver.deploy(spec()))
                .isInstanceOfSatisfying(
                        PlatformLimitException.class,
                        e -> assertThat(e.violations()).hasSize(3))
                .hasMessageStartingWith("aws-lambda cannot run this deployment: memory: 64 MB asked for");
        assertThat(driver.functionName()).isNull();
    }

    @Test
    void theTableIsDatedAndSourced() {
        assertThat(LambdaLimits.TABLE)
                .hasSize(10)
                .allSatisfy(limit -> assertThat(limit.source()).startsWith("https://"));
        assertThat(LambdaLimits.CHECKED).matches("\\d{4}-\\d{2}-\\d{2}");
    }

    private static DeploymentSpec spec() {
        return new DeploymentSpec("minilm", 1, 2048, null, null, null, Map.of());
    }

    private static LambdaSettings settings(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>();
        if (!extra.containsKey("zip-file")) {
            config.put("image-uri", IMAGE);
        }
        config.put("role", "arn:aws:iam::123456789012:role/salvo-lambda");
        config.putAll(extra);
        return LambdaSettings.parse(config);
    }

    /** A small zip: {@code bytes} of zeros under lib/, and a tiny-bert-shape model file when asked. */
    private static Path zip(String name, int bytes, boolean withModel) {
        Path file = dir.resolve(name);
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream out = new ZipOutputStream(os)) {
            out.putNextEntry(new ZipEntry("lib/salvo-model-server.jar"));
            out.write(new byte[bytes]);
            out.closeEntry();
            if (withModel) {
                out.putNextEntry(new ZipEntry("models/tiny-bert-shape/model.onnx"));
                out.write(new byte[10]);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file;
    }
}
