package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.InputLogEvent;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/**
 * The aws-lambda driver through the real AWS SDK v2 HTTP path against moto_server, a third-party emulator of the
 * Lambda, CloudWatch Logs and IAM APIs: CreateFunction (zip and image), the waiters, the function URL and its
 * permissions, UpdateFunctionConfiguration for a forced cold start, Invoke, FilterLogEvents, and the deletes of
 * teardown, checked with the SDK's own clients.
 */
class LambdaDriverMotoTest {

    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDMOTO", "moto-secret"));

    private static MotoServer moto;
    private static LambdaClient lambda;
    private static CloudWatchLogsClient logs;
    private static String role;

    @TempDir
    Path dir;

    private LambdaPlatformDriver driver;

    @BeforeAll
    static void startMoto() throws IOException {
        moto = MotoServer.start();
        lambda = LambdaClient.builder()
                .endpointOverride(moto.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build();
        logs = CloudWatchLogsClient.builder()
                .endpointOverride(moto.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build();
        // moto checks that the execution role exists
        try (IamClient iam = IamClient.builder()
                .endpointOverride(moto.endpoint())
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(CREDENTIALS)
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build()) {
            role = iam.createRole(
                            r -> r.roleName("salvo-lambda")
                                    .assumeRolePolicyDocument(
                                            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                                    + "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"))
                    .role()
                    .arn();
        }
    }

    @AfterAll
    static void stopMoto() {
        if (lambda != null) {
            lambda.close();
            logs.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @AfterEach
    void teardown() {
        if (driver != null) {
            driver.close();
        }
    }

    private LambdaPlatformDriver driver(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of(
                "role", role,
                "region", "us-east-1",
                "endpoint", moto.endpoint().toString(),
                "max-attempts", "2",
                "ready-timeout-ms", "60000"));
        config.putAll(extra);
        driver = new LambdaPlatformDriver(
                LambdaSettings.parse(config),
                new LambdaPlatformDriver.Environment(CREDENTIALS, () -> Region.US_EAST_1, Duration.ofMillis(50)),
                Clock.systemUTC());
        return driver;
    }

    private Path zip() throws IOException {
        Path file = dir.resolve("model-server-lambda.zip");
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream out = new ZipOutputStream(os)) {
            out.putNextEntry(new ZipEntry("lib/placeholder.txt"));
            out.write("the model-server's jars go here".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return file;
    }

    @Test
    void deploysAZipFunctionForcesAColdStartInvokesReadsUsageAndTearsDown() throws Exception {
        driver(Map.of(
                "zip-file", zip().toString(),
                "function-name", "salvo-moto-zip",
                "memory-mb", "1024",
                "architecture", "arm64",
                "ephemeral-storage-mb", "1024"));

        URI url = driver.deploy(DeploymentSpec.of("tiny-bert-shape"));

        assertThat(url.toString()).startsWith("https://").endsWith(".lambda-url.us-east-1.on.aws");
        FunctionConfiguration config =
                lambda.getFunction(r -> r.functionName("salvo-moto-zip")).configuration();
        assertThat(config.runtimeAsString()).isEqualTo("java17");
        assertThat(config.handler()).isEqualTo(LambdaSettings.DEFAULT_HANDLER);
        assertThat(config.memorySize()).isEqualTo(1024);
        assertThat(config.architecturesAsStrings()).containsExactly("arm64");
        assertThat(config.ephemeralStorage().size()).isEqualTo(1024);
        assertThat(config.environment().variables())
                .containsEntry("SALVO_MODEL", "tiny-bert-shape")
                .containsEntry(LambdaPlatformDriver.COLD_GENERATION_ENV, "0");
        assertThat(lambda.getFunctionUrlConfig(r -> r.functionName("salvo-moto-zip"))
                        .authTypeAsString())
                .isEqualTo("NONE");
        assertThat(lambda.getPolicy(r -> r.functionName("salvo-moto-zip")).policy())
                .contains(LambdaPlatformDriver.PUBLIC_URL_STATEMENT, LambdaPlatformDriver.PUBLIC_INVOKE_STATEMENT);
        driver.awaitReady(Duration.ofSeconds(30));

        driver.forceCold();
        assertThat(lambda.getFunction(r -> r.functionName("salvo-moto-zip"))
                        .configuration()
                        .environment()
                        .variables())
                .containsEntry(LambdaPlatformDriver.COLD_GENERATION_ENV, "1")
                .containsEntry("SALVO_MODEL", "tiny-bert-shape");

        // moto runs no code without Docker: it answers an invocation with its event, which the driver passes on
        InvokeResult result = driver.invoke(
                "POST", "/v2/models/tiny-bert-shape/predict", "{\"inputs\":[\"hi\"]}".getBytes(StandardCharsets.UTF_8));
        assertThat(result.status()).isEqualTo(200);
        assertThat(new String(result.body(), StandardCharsets.UTF_8)).contains("/v2/models/tiny-bert-shape/predict");

        // what Lambda would write to the log group the driver created: REPORT lines and the model-server's line
        String group = "/aws/lambda/salvo-moto-zip";
        assertThat(logs.describeLogGroups(r -> r.logGroupNamePrefix(group)).logGroups())
                .hasSize(1);
        Instant t = Instant.now().minusSeconds(30);
        String stream = "2026/12/05/[$LATEST]0123456789abcdef";
        logs.createLogStream(r -> r.logGroupName(group).logStreamName(stream));
        logs.putLogEvents(
                r -> r.logGroupName(group)
                        .logStreamName(stream)
                        .logEvents(
                                event(t, "SALVO_INSTANCE instance=moto-1 model=tiny-bert-shape model_load_ms=210"),
                                event(t.plusMillis(200), "START RequestId: r1 Version: $LATEST"),
                                event(
                                        t.plusMillis(300),
                                        "REPORT RequestId: r1\tDuration: 40.10 ms\tBilled Duration: 700 ms\tMemory Size: 1024 MB\tMax Memory Used: 180 MB\tInit Duration: 655.70 ms\t"),
                                event(
                                        t.plusMillis(900),
                                        "REPORT RequestId: r2\tDuration: 3.20 ms\tBilled Duration: 4 ms\tMemory Size: 1024 MB\tMax Memory Used: 181 MB\t")));

        PlatformUsage usage =
                driver.usage(t.minusSeconds(1), Instant.now().plusSeconds(1)).orElseThrow();
        Map<String, Double> amounts =
                usage.quantities().stream().collect(Collectors.toMap(UsageQuantity::dimension, UsageQuantity::amount));
        assertThat(amounts.get("aws-lambda:requests")).isEqualTo(2);
        assertThat(amounts.get("aws-lambda:gb-seconds:arm64")).isCloseTo(0.704, within(1e-9));
        LambdaInstance instance = driver.logs(t.minusSeconds(1), Instant.now().plusSeconds(1))
                .instance("moto-1")
                .orElseThrow();
        assertThat(instance.initDurationMs()).isEqualTo(655.70);
        assertThat(instance.logStream()).isEqualTo(stream);

        driver.teardown();
        assertThatThrownBy(() -> lambda.getFunction(r -> r.functionName("salvo-moto-zip")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThat(logs.describeLogGroups(r -> r.logGroupNamePrefix(group)).logGroups())
                .isEmpty();
    }

    private static InputLogEvent event(Instant at, String message) {
        return InputLogEvent.builder()
                .timestamp(at.toEpochMilli())
                .message(message)
                .build();
    }

    @Test
    void deploysAContainerImageBehindAnIamAuthenticatedUrl() throws Exception {
        driver(Map.of(
                "image-uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm-lambda",
                "function-name", "salvo-moto-image",
                "url-auth", "AWS_IAM"));
        driver.deploy(DeploymentSpec.of("minilm"));
        FunctionConfiguration config =
                lambda.getFunction(r -> r.functionName("salvo-moto-image")).configuration();
        assertThat(config.packageTypeAsString()).isEqualTo("Image");
        assertThat(lambda.getFunctionUrlConfig(r -> r.functionName("salvo-moto-image"))
                        .authTypeAsString())
                .isEqualTo("AWS_IAM");
        driver.teardown();
        assertThat(lambda.listFunctions().functions().stream()
                        .map(FunctionConfiguration::functionName)
                        .toList())
                .doesNotContain("salvo-moto-image");
    }

    @Test
    void mapsTheEmulatorsRefusalsToClearMessages() throws Exception {
        driver(Map.of(
                "image-uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm",
                "role", "arn:aws:iam::123456789012:role/does-not-exist"));
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("invalid configuration while creating function salvo-minilm-")
                .hasMessageContaining("cannot be assumed by Lambda")
                .hasMessageContaining("role ARN");
        driver.close();

        driver(Map.of(
                "image-uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm",
                "function-name", "salvo-moto-gone"));
        driver.deploy(DeploymentSpec.of("minilm"));
        lambda.deleteFunction(r -> r.functionName("salvo-moto-gone"));
        assertThatThrownBy(driver::forceCold)
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("not found while updating the configuration of salvo-moto-gone");
        assertThat(List.of(driver.functionName())).containsExactly("salvo-moto-gone");
    }
}
