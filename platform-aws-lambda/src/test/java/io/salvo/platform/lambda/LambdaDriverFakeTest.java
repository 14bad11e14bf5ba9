package io.salvo.platform.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.platform.UsageQuantity;
import io.salvo.testkit.Await;
import io.salvo.testkit.FakeClock;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;

/**
 * The aws-lambda driver through the real AWS SDK v2 clients against {@link FakeAws}, an in-JVM fake of the Lambda
 * and CloudWatch Logs APIs: what moto_server does not cover (REPORT lines, provisioned concurrency, throttling, access
 * denied, waiters that give up) and the exact requests the driver sends.
 */
class LambdaDriverFakeTest {

    private static final String SECRET = "fake-secret-do-not-print";
    private static final String IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm";
    private static final String ROLE = "arn:aws:iam::123456789012:role/salvo-lambda";

    private FakeAws aws;
    private FakeClock time;
    private LambdaPlatformDriver driver;

    @BeforeEach
    void start() throws Exception {
        aws = new FakeAws();
        time = new FakeClock();
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        aws.close();
    }

    private LambdaPlatformDriver driver(Map<String, String> extra) {
        return driver(extra, StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDFAKE", SECRET)));
    }

    private LambdaPlatformDriver driver(Map<String, String> extra, AwsCredentialsProvider credentials) {
        Map<String, String> config = new HashMap<>(Map.of(
                "image-uri",
                IMAGE,
                "role",
                ROLE,
                "region",
                "us-east-1",
                "endpoint",
                aws.endpoint().toString(),
                "max-attempts",
                "1",
                "ready-timeout-ms",
                "10000"));
        config.putAll(extra);
        driver = new LambdaPlatformDriver(
                LambdaSettings.parse(config),
                new LambdaPlatformDriver.Environment(credentials, () -> Region.US_EAST_1, Duration.ofMillis(5)),
                TestClocks.of(time));
        return driver;
    }

    @Test
    void deploysAnImageFunctionBehindAPublicUrlWaitingUntilActiveThenRemovesAllItCreated() throws Exception {
        aws.pendingFor(3);
        driver(Map.of("architecture", "arm64", "ephemeral-storage-mb", "1024", "timeout-s", "120", "env", "A=1,B=two"));
        URI url = driver.deploy(new DeploymentSpec("minilm", 1, 2048, null, null, null, Map.of("SPEC", "x")));
        String name = driver.functionName();

        assertThat(name).matches("salvo-minilm-[0-9a-f]{8}");
        assertThat(url).isEqualTo(URI.create("https://" + name + ".lambda-url.us-east-1.on.aws"));
        assertThat(driver.label()).isEqualTo("aws-lambda " + name + " (image, arm64, 2048 MB)");
        JsonObject function = aws.functions().get(name);
        assertThat(function.getString("PackageType")).isEqualTo("Image");
        assertThat(function.getString("Role")).isEqualTo(ROLE);
        assertThat(function.getInteger("MemorySize")).isEqualTo(2048);
        assertThat(function.getInteger("Timeout")).isEqualTo(120);
        assertThat(function.getJsonObject("EphemeralStorage").getInteger("Size"))
                .isEqualTo(1024);
        assertThat(function.getJsonArray("Architectures").encode()).isEqualTo("[\"arm64\"]");
        assertThat(function.getJsonObject("LoggingConfig").getString("LogFormat"))
                .isEqualTo("Text");
        assertThat(function.getJsonObject("Environment")
                        .getJsonObject("Variables")
                        .getMap())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "SALVO_MODEL",
                        "minilm",
                        "SALVO_MAX_CONCURRENT",
                        "1",
                        "SPEC",
                        "x",
                        "A",
                        "1",
                        "B",
                        "two",
                        LambdaPlatformDriver.COLD_GENERATION_ENV,
                        "0"));
        assertThat(aws.reserved(name)).as("no ceiling asked for, none set").isNull();
        assertThat(aws.urls()).containsEntry(name, "NONE");
        assertThat(aws.permissions())
                .containsExactly(
                        "salvo-function-url-public lambda:InvokeFunctionUrl *",
                        "salvo-function-url-invoke lambda:InvokeFunction *");
        assertThat(aws.logGroups()).containsExactly("/aws/lambda/" + name);
        List<String> calls = aws.calls();
        assertThat(calls.subList(0, 3)).containsExactly("DescribeLogGroups", "CreateLogGroup", "CreateFunction");
        // the waiters polled until the fake reported Active and Successful
        assertThat(calls.stream().filter("GetFunction"::equals).count()).isGreaterThanOrEqualTo(4);
        assertThat(calls.indexOf("CreateFunctionUrlConfig")).isGreaterThan(calls.lastIndexOf("GetFunction"));

        driver.awaitReady(Duration.ofSeconds(10));
        driver.teardown();
        assertThat(aws.functions()).isEmpty();
        assertThat(aws.urls()).isEmpty();
        assertThat(aws.permissions()).isEmpty();
        assertThat(aws.logGroups()).isEmpty();
        assertThat(aws.calls())
                .endsWith(
                        "RemovePermission",
                        "RemovePermission",
                        "DeleteFunctionUrlConfig",
                        "DeleteFunction",
                        "DeleteLogGroup");
        driver.teardown(); // idempotent
    }

    @Test
    void leavesALogGroupItDidNotCreateAndEverythingWithKeep() throws Exception {
        aws.existingLogGroup("/aws/lambda/salvo-kept");
        driver(Map.of("function-name", "salvo-kept", "keep", "true", "url-auth", "AWS_IAM"));
        driver.deploy(DeploymentSpec.of("minilm"));
        assertThat(aws.urls()).containsEntry("salvo-kept", "AWS_IAM");
        assertThat(aws.permissions())
                .as("an IAM-authenticated URL needs no public permission")
                .isEmpty();
        driver.teardown();
        assertThat(aws.functions()).containsKey("salvo-kept");
        assertThat(aws.calls()).doesNotContain("CreateLogGroup", "DeleteFunction", "DeleteLogGroup");
    }

    /**
     * url-auth AWS_IAM: the driver's request headers are a SigV4 signature per body (same body, same signature), made
     * with the driver's credentials and checked here by an independent computation with the known secret; asked again
     * at renewAt (a minute later on the fake clock) they are signed anew, well within the five minutes AWS accepts.
     */
    @Test
    void iamFunctionUrlRequestsAreSignedPerBodyAndRenewedWithinTheSignaturesValidity() throws Exception {
        driver(Map.of("function-name", "salvo-iam", "url-auth", "AWS_IAM"));
        URI url = driver.deploy(DeploymentSpec.of("minilm"));
        List<byte[]> bodies = List.of(
                "{\"inputs\":[\"a\"]}".getBytes(StandardCharsets.UTF_8),
                "{\"inputs\":[\"b\"]}".getBytes(StandardCharsets.UTF_8),
                "{\"inputs\":[\"a\"]}".getBytes(StandardCharsets.UTF_8));
        Map<String, String> planHeaders = Map.of("Content-Type", "application/json");
        RunRequests requests = new RunRequests("POST", url.resolve("/v2/models/minilm/infer"), planHeaders, bodies);

        RequestHeaders first = driver.requestHeaders(requests);
        assertThat(first.shared()).isEmpty();
        assertThat(first.perBody()).hasSize(3);
        assertThat(first.perBody().get(0))
                .isEqualTo(first.perBody().get(2))
                .isNotEqualTo(first.perBody().get(1));
        for (int i = 0; i < bodies.size(); i++) {
            SigV4Check.verify(
                    "POST", requests.url(), planHeaders, first.perBody().get(i), bodies.get(i), SECRET);
        }
        assertThat(first.renewAt()).isEqualTo(FakeClock.START.plusSeconds(60));
        assertThat(first.toString()).doesNotContain("Signature=").doesNotContain(SECRET);

        time.forward(Duration.ofSeconds(60));
        RequestHeaders renewed = driver.requestHeaders(requests);
        assertThat(renewed.perBody().get(0).get("X-Amz-Date")).isEqualTo("20260101T000100Z");
        assertThat(renewed.perBody().get(0).get("Authorization"))
                .isNotEqualTo(first.perBody().get(0).get("Authorization"));
        for (int i = 0; i < bodies.size(); i++) {
            SigV4Check.verify(
                    "POST", requests.url(), planHeaders, renewed.perBody().get(i), bodies.get(i), SECRET);
        }
        assertThat(renewed.renewAt()).isEqualTo(FakeClock.START.plusSeconds(120));
        driver.teardown();

        driver(Map.of("function-name", "salvo-open"));
        driver.deploy(DeploymentSpec.of("minilm"));
        assertThat(driver.requestHeaders(requests))
                .as("a public URL needs nothing")
                .isEqualTo(RequestHeaders.NONE);
    }

    @Test
    void neverDeletesALogGroupItFoundInPlace() throws Exception {
        aws.existingLogGroup("/aws/lambda/salvo-found");
        driver(Map.of("function-name", "salvo-found"));
        driver.deploy(DeploymentSpec.of("minilm"));
        driver.teardown();
        assertThat(aws.functions()).isEmpty();
        assertThat(aws.logGroups()).containsExactly("/aws/lambda/salvo-found");
    }

    @Test
    void forcesAColdStartByAConfigurationUpdateAndVerifiesItByInstanceIds() throws Exception {
        driver(Map.of("function-name", "salvo-cold"));
        driver.deploy(DeploymentSpec.of("minilm"));
        long t0 = time.unixNanos() / 1_000_000;
        aws.log(
                "/aws/lambda/salvo-cold",
                "2026/01/01/[$LATEST]aaaa",
                t0 + 100,
                "SALVO_INSTANCE instance=old-1 model=minilm model_load_ms=900");
        time.forward(Duration.ofSeconds(30));
        aws.pendingFor(2);

        driver.forceCold();

        JsonObject function = aws.functions().get("salvo-cold");
        assertThat(function.getJsonObject("Environment")
                        .getJsonObject("Variables")
                        .getString(LambdaPlatformDriver.COLD_GENERATION_ENV))
                .isEqualTo("1");
        assertThat(function.getJsonObject("Environment")
                        .getJsonObject("Variables")
                        .getString("SALVO_MODEL"))
                .as("the update re-sends the whole environment")
                .isEqualTo("minilm");
        List<String> calls = aws.calls();
        assertThat(calls.lastIndexOf("GetFunction")).isGreaterThan(calls.lastIndexOf("UpdateFunctionConfiguration"));
        assertThat(function.getString("LastUpdateStatus")).isEqualTo("Successful");

        assertThat(driver.verifyColdStart(List.of("new-1", "new-2"))).containsExactly("new-1", "new-2");
        assertThatThrownBy(() -> driver.verifyColdStart(List.of("new-1", "old-1")))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("not verified")
                .hasMessageContaining("[old-1] answered before and after");
        driver.noteInstanceIdsBeforeCold(List.of("warm-run-id"));
        assertThatThrownBy(() -> driver.verifyColdStart(List.of("warm-run-id"))).hasMessageContaining("warm-run-id");
        assertThatThrownBy(() -> driver.verifyColdStart(List.of())).hasMessageContaining("no response carried");

        driver.forceCold();
        assertThat(aws.functions()
                        .get("salvo-cold")
                        .getJsonObject("Environment")
                        .getJsonObject("Variables")
                        .getString(LambdaPlatformDriver.COLD_GENERATION_ENV))
                .isEqualTo("2");
    }

    @Test
    void usageAndSignalsComeFromReportLinesMatchedToInstancesById() throws Exception {
        driver(Map.of("function-name", "salvo-usage", "memory-mb", "1024", "architecture", "arm64"));
        driver.deploy(DeploymentSpec.of("minilm"));
        String group = "/aws/lambda/salvo-usage";
        long t0 = time.unixNanos() / 1_000_000;
        // two execution environments, as CloudWatch shows them: a cold start each, then warm invocations
        String a = "2026/01/01/[$LATEST]0123456789abcdef";
        String b = "2026/01/01/[$LATEST]fedcba9876543210";
        aws.log(
                group,
                a,
                t0 + 1_000,
                "INIT_START Runtime Version: java:17.v40\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc");
        aws.log(group, a, t0 + 2_100, "SALVO_INSTANCE instance=11111111-aaaa model=minilm model_load_ms=1187");
        aws.log(group, a, t0 + 2_200, "START RequestId: r1 Version: $LATEST");
        aws.log(group, a, t0 + 2_300, "END RequestId: r1");
        aws.log(
                group,
                a,
                t0 + 2_300,
                "REPORT RequestId: r1\tDuration: 95.31 ms\tBilled Duration: 1402 ms\tMemory Size: 1024 MB\tMax Memory Used: 402 MB\tInit Duration: 1306.42 ms\t");
        aws.log(
                group,
                a,
                t0 + 3_000,
                "REPORT RequestId: r2\tDuration: 8.07 ms\tBilled Duration: 9 ms\tMemory Size: 1024 MB\tMax Memory Used: 405 MB\t");
        aws.log(group, b, t0 + 3_500, "SALVO_INSTANCE instance=22222222-bbbb model=minilm model_load_ms=1250");
        aws.log(
                group,
                b,
                t0 + 3_600,
                "REPORT RequestId: r3\tDuration: 120.50 ms\tBilled Duration: 1500 ms\tMemory Size: 1024 MB\tMax Memory Used: 399 MB\tInit Duration: 1379.90 ms\t");
        aws.log(
                group,
                b,
                t0 + 4_000,
                "REPORT RequestId: r4\tDuration: 7.91 ms\tBilled Duration: 8 ms\tMemory Size: 1024 MB\tMax Memory Used: 401 MB\t");
        // after the window
        aws.log(
                group,
                b,
                t0 + 20_000,
                "REPORT RequestId: r5\tDuration: 7.00 ms\tBilled Duration: 7 ms\tMemory Size: 1024 MB\tMax Memory Used: 401 MB\t");
        Instant from = Instant.ofEpochMilli(t0);
        Instant to = Instant.ofEpochMilli(t0 + 10_000);

        PlatformUsage usage = driver.usage(from, to).orElseThrow();

        Map<String, Double> amounts =
                usage.quantities().stream().collect(Collectors.toMap(UsageQuantity::dimension, UsageQuantity::amount));
        double billedMs = 1402 + 9 + 1500 + 8;
        assertThat(amounts).containsOnlyKeys("aws-lambda:requests", "aws-lambda:gb-seconds:arm64");
        assertThat(amounts.get("aws-lambda:requests")).isEqualTo(4);
        assertThat(amounts.get("aws-lambda:gb-seconds:arm64")).isCloseTo(billedMs / 1000 * 1.0, within(1e-9));
        assertThat(usage.predictions()).isNull();
        JsonObject filter = aws.filterRequests().get(aws.filterRequests().size() - 1);
        assertThat(filter.getLong("startTime")).isEqualTo(t0);
        assertThat(filter.getLong("endTime")).isEqualTo(t0 + 9_999);

        LambdaLogs logs = driver.logs(from, to);
        LambdaInstance first = logs.instance("11111111-aaaa").orElseThrow();
        assertThat(first.logStream()).isEqualTo(a);
        assertThat(first.initDurationMs()).isEqualTo(1306.42);
        assertThat(first.modelLoadMs()).isEqualTo(1187);
        assertThat(first.invocations()).isEqualTo(2);
        assertThat(first.maxMemoryUsedMb()).isEqualTo(405);
        assertThat(logs.instance("22222222-bbbb").orElseThrow().initDurationMs())
                .isEqualTo(1379.90);

        time.forward(Duration.ofSeconds(10));
        PlatformSignals signals = driver.signals();
        assertThat(signals.source()).startsWith("CloudWatch Logs of aws-lambda salvo-usage");
        assertThat(signals.instances())
                .extracting(r -> r.instanceId())
                .containsExactly("11111111-aaaa", "22222222-bbbb");
        assertThat(signals.instances().get(0).readyAt()).isEqualTo(Instant.ofEpochMilli(t0 + 2_100));
        assertThat(signals.instances().get(0).spawnedAt())
                .isEqualTo(Instant.ofEpochMilli(t0 + 2_100).minusNanos(1_306_420_000));
        assertThat(signals.instances().get(0).modelLoadMillis()).isEqualTo(1187);
    }

    @Test
    void provisionedConcurrencyPublishesAVersionBehindAnAliasAndIsBilledOverTheWindow() throws Exception {
        aws.provisionedAfter(2);
        driver(Map.of("function-name", "salvo-pc", "provisioned-concurrency", "2", "memory-mb", "2048"));
        driver.deploy(DeploymentSpec.of("minilm").withScaling(2, 8, null));
        assertThat(aws.reserved("salvo-pc")).as("the plan's maximum instances").isEqualTo(8);
        assertThat(aws.calls())
                .containsSubsequence(
                        "CreateFunction",
                        "PublishVersion",
                        "GetFunctionConfiguration",
                        "CreateAlias",
                        "PutProvisionedConcurrencyConfig",
                        "GetProvisionedConcurrencyConfig",
                        "CreateFunctionUrlConfig");
        assertThat(aws.urls()).containsKey("salvo-pc?Qualifier=salvo");
        assertThat(aws.permissions()).allMatch(p -> p.endsWith("?Qualifier=salvo"));
        assertThat(driver.label()).endsWith("provisioned concurrency 2)");

        Instant from = FakeClock.START;
        PlatformUsage usage = driver.usage(from, from.plusSeconds(60)).orElseThrow();
        UsageQuantity provisioned = usage.quantities().stream()
                .filter(q -> q.dimension().equals("aws-lambda:provisioned-gb-seconds:x86_64"))
                .findFirst()
                .orElseThrow();
        assertThat(provisioned.amount()).isEqualTo(2 * 2.0 * 60);
        assertThat(provisioned.basis()).contains("estimate");

        driver.forceCold();
        assertThat(aws.calls()).containsSubsequence("UpdateFunctionConfiguration", "PublishVersion", "UpdateAlias");
        driver.teardown();
        assertThat(aws.urls()).isEmpty();
        assertThat(aws.functions()).isEmpty();
    }

    @Test
    void throttlingIsOneClearMessageAndNothingIsLeftBehind() {
        aws.failAlways("CreateFunction", new FakeAws.Failure(429, "TooManyRequestsException", "Rate exceeded"));
        driver(Map.of());
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .isInstanceOf(PlatformException.class)
                .hasMessageStartingWith("aws-lambda: throttled or over a quota while creating function salvo-minilm-")
                .hasMessageContaining("AWS said: Rate exceeded")
                .hasMessageContaining("Service Quotas")
                .hasNoCause();
        assertThat(aws.logGroups())
                .as("the log group the failed deploy created is gone")
                .isEmpty();
    }

    @Test
    void accessDeniedNamesTheIamPermission() throws Exception {
        aws.failNext(
                "CreateFunction",
                new FakeAws.Failure(
                        403,
                        "AccessDeniedException",
                        "User: arn:aws:iam::123456789012:user/bench is not authorized to perform: lambda:CreateFunction"));
        driver(Map.of());
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("permission denied while creating function")
                .hasMessageContaining(
                        "needs the IAM permission lambda:CreateFunction (with lambda:TagResource, and iam:PassRole on the role)")
                .hasMessageNotContaining(SECRET);

        driver.close();
        driver(Map.of());
        driver.deploy(DeploymentSpec.of("minilm"));
        aws.failNext("FilterLogEvents", new FakeAws.Failure(400, "AccessDeniedException", "not authorized"));
        assertThatThrownBy(() -> driver.usage(FakeClock.START, FakeClock.START.plusSeconds(1)))
                .hasMessageContaining("permission denied while reading log group")
                .hasMessageContaining("logs:FilterLogEvents");
    }

    @Test
    void notFoundInvalidConfigurationAndMissingCredentialsEachGetTheirMessage() throws Exception {
        driver(Map.of("function-name", "salvo-errors"));
        driver.deploy(DeploymentSpec.of("minilm"));
        aws.failNext(
                "UpdateFunctionConfiguration",
                new FakeAws.Failure(404, "ResourceNotFoundException", "Function not found: salvo-errors"));
        assertThatThrownBy(driver::forceCold)
                .hasMessageContaining("not found while updating the configuration of salvo-errors")
                .hasMessageContaining("Check function-name, region");
        driver.close();

        aws.failNext(
                "CreateFunction",
                new FakeAws.Failure(
                        400,
                        "InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda."));
        driver(Map.of());
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .hasMessageContaining("invalid configuration while creating function")
                .hasMessageContaining("cannot be assumed");
        driver.close();

        aws.failNext(
                "CreateFunction",
                new FakeAws.Failure(409, "ResourceConflictException", "Function already exist: salvo-taken"));
        long deletesBefore =
                aws.calls().stream().filter("DeleteFunction"::equals).count();
        driver(Map.of("function-name", "salvo-taken"));
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .hasMessageContaining("already exists while creating function salvo-taken")
                .hasMessageContaining("Salvo deletes only what it created");
        assertThat(aws.calls().stream().filter("DeleteFunction"::equals).count())
                .as("nothing of someone else's is deleted")
                .isEqualTo(deletesBefore);
        driver.close();

        AwsCredentialsProvider none = () -> {
            throw SdkClientException.create("Unable to load credentials from any of the providers in the chain");
        };
        driver(Map.of(), none);
        int callsBefore = aws.calls().size();
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .hasMessageStartingWith("aws-lambda: no AWS credentials. The SDK's default chain looked for")
                .hasMessageContaining("aws configure");
        assertThat(aws.calls()).as("no call without credentials").hasSize(callsBefore);
        driver.close();

        Map<String, String> noRegion = new HashMap<>(Map.of(
                "image-uri", IMAGE, "role", ROLE, "endpoint", aws.endpoint().toString()));
        driver = new LambdaPlatformDriver(
                LambdaSettings.parse(noRegion),
                new LambdaPlatformDriver.Environment(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDFAKE", SECRET)),
                        () -> {
                            throw SdkClientException.create(
                                    "Unable to load region from any of the providers in the chain");
                        },
                        Duration.ofMillis(5)),
                TestClocks.of(time));
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .hasMessage(
                        "aws-lambda: no AWS region. Set the driver's 'region' setting, AWS_REGION, or a region in the"
                                + " AWS profile");
        assertThat(aws.calls()).as("no call without a region").hasSize(callsBefore);
    }

    @Test
    void aWaiterThatGivesUpFailsTheDeployAndTheFunctionIsDeleted() {
        aws.neverActive();
        driver(Map.of("function-name", "salvo-stuck", "ready-timeout-ms", "300"));
        assertThatThrownBy(() -> driver.deploy(DeploymentSpec.of("minilm")))
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("timed out after 300 ms waiting for function salvo-stuck to become Active")
                .hasMessageContaining("the function is Pending");
        assertThat(aws.functions()).isEmpty();
    }

    @Test
    void awaitReadyTimesOutWhileAnUpdateIsStillInProgress() throws Exception {
        driver(Map.of("function-name", "salvo-slow", "ready-timeout-ms", "1000"));
        driver.deploy(DeploymentSpec.of("minilm"));
        aws.neverActive();
        // an update that never completes
        assertThatThrownBy(driver::forceCold)
                .isInstanceOf(PlatformException.class)
                .hasMessageContaining("timed out after 1000 ms waiting for the update of salvo-slow");
        assertThatThrownBy(() -> driver.awaitReady(Duration.ofMillis(200)))
                .isInstanceOf(TimeoutException.class)
                .hasMessageContaining("last update InProgress");
    }

    @Test
    void invokesThroughTheInvokeApiWithAFunctionUrlEvent() throws Exception {
        driver(Map.of("function-name", "salvo-invoke", "access", "invoke"));
        URI endpoint = driver.deploy(DeploymentSpec.of("minilm"));
        assertThat(endpoint.toString()).isEqualTo(aws.endpoint() + "/2015-03-31/functions/salvo-invoke/invocations");
        assertThat(aws.calls()).doesNotContain("CreateFunctionUrlConfig", "AddPermission");
        aws.invokeAnswers(
                "{\"statusCode\":200,\"headers\":{\"Salvo-Instance-Id\":\"abc\"},\"body\":\"e30=\",\"isBase64Encoded\":true}");
        InvokeResult result = driver.invoke(
                "POST", "/v2/models/minilm/predict", "{\"inputs\":[\"hi\"]}".getBytes(StandardCharsets.UTF_8));
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.headers()).containsEntry("Salvo-Instance-Id", "abc");
        assertThat(new String(result.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }

    @Test
    void aTerminatedJvmDeletesWhatItDeployed() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path output = Files.createTempFile("salvo-lambda-hook", ".log");
        Process process = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        DeployThenWait.class.getName(),
                        aws.endpoint().toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            Await.until(
                    "the child JVM deployed",
                    Duration.ofSeconds(90),
                    () -> read(output).contains("DEPLOYED"));
            assertThat(aws.functions()).containsKey("salvo-hook-test");
            process.destroy(); // SIGTERM: shutdown hooks run, as on Ctrl-C
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(read(output)).isTrue();
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
        Await.until(
                "the shutdown hook deleted the function", () -> aws.functions().isEmpty());
        assertThat(aws.urls()).isEmpty();
        assertThat(aws.logGroups()).isEmpty();
        assertThat(Set.copyOf(aws.calls())).contains("DeleteFunction", "DeleteFunctionUrlConfig", "DeleteLogGroup");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
