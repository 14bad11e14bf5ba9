package io.salvo.platform.lambda;

import static io.salvo.platform.lambda.LambdaErrors.call;

import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformSignals;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.RequestHeaders;
import io.salvo.platform.RunRequests;
import io.salvo.platform.TeardownHook;
import io.salvo.platform.UsageQuantity;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.logging.Logger;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.model.FilterLogEventsRequest;
import software.amazon.awssdk.services.cloudwatchlogs.model.FilteredLogEvent;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Architecture;
import software.amazon.awssdk.services.lambda.model.CreateFunctionRequest;
import software.amazon.awssdk.services.lambda.model.FunctionCode;
import software.amazon.awssdk.services.lambda.model.FunctionUrlAuthType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LogFormat;
import software.amazon.awssdk.services.lambda.model.PackageType;
import software.amazon.awssdk.services.lambda.model.SnapStartApplyOn;

/**
 * Deploys the model-server as an AWS Lambda function and reads the platform's own accounting back (see
 * docs/platforms/aws-lambda.md). One driver manages one function, which it creates and, unless {@code keep}, deletes
 * with everything it created: the function URL, its permissions, and the log group when the driver created it. A JVM
 * shutdown hook does the same on Ctrl-C; {@link #close()} is {@link #teardown()}.
 *
 * <p>Ground truth comes from CloudWatch Logs: the REPORT line of every invocation (Init Duration, Duration, Billed
 * Duration, Memory Size, Max Memory Used) and the model-server's SALVO_INSTANCE line, both in the log stream of
 * their execution environment, so a cold start Salvo saw (a new {@code Salvo-Instance-Id}) is matched to Lambda's
 * Init Duration by id.
 *
 * <p>Settings: {@value LambdaSettings#KEYS}.
 */
public final class LambdaPlatformDriver implements PlatformDriver {

    public static final String NAME = "aws-lambda";
    /** Environment variable changed by {@link #forceCold()}: a new value means new execution environments. */
    public static final String COLD_GENERATION_ENV = "SALVO_COLD_GENERATION";
    /** Alias the driver points at its published version when SnapStart or provisioned concurrency is on. */
    static final String ALIAS = "salvo";

    static final String PUBLIC_URL_STATEMENT = "salvo-function-url-public";
    static final String PUBLIC_INVOKE_STATEMENT = "salvo-function-url-invoke";

    private static final Logger LOG = Logger.getLogger(LambdaPlatformDriver.class.getName());
    private static final Duration SIGNALS_CACHE = Duration.ofSeconds(5);
    private static final String LOG_FILTER = "?\"REPORT RequestId\" ?SALVO_INSTANCE";

    /** Registered through ServiceLoader. */
    public static final class Factory implements PlatformDriver.Factory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "AWS Lambda: the model-server as a container-image or zip function behind a function URL, cold starts"
                    + " forced by a configuration update, ground truth from CloudWatch REPORT lines; credentials and"
                    + " region from the AWS SDK's default chains (settings: " + LambdaSettings.KEYS + ")";
        }

        @Override
        public PlatformDriver create(Map<String, String> config) {
            return new LambdaPlatformDriver(LambdaSettings.parse(config), Environment.defaults(), Clock.systemUTC());
        }
    }

    /**
     * Where credentials and the region come from, and how often the driver polls what has no SDK waiter: the SDK's
     * default chains in production, static fake credentials and a short poll in tests.
     *
     * @param credentials  AWS credentials
     * @param defaultRegion the region when the settings name none
     * @param pollInterval how often waiters and polls ask again
     */
    public record Environment(
            AwsCredentialsProvider credentials, Supplier<Region> defaultRegion, Duration pollInterval) {

        public static Environment defaults() {
            return new Environment(
                    DefaultCredentialsProvider.builder().build(),
                    () -> new DefaultAwsRegionProviderChain().getRegion(),
                    Duration.ofSeconds(1));
        }
    }

    private final LambdaSettings configured;
    private final Environment environment;
    private final Clock clock;
    /** Guarded by this: the requests {@link #requestHeaders} signed last, and their signer. */
    private RunRequests lastSigned;

    private FunctionUrlSigner lastSigner;
    private final CreatedResources created = new CreatedResources();
    private final Set<String> instanceIdsBeforeCold = new HashSet<>();

    private LambdaSettings settings;
    private Region region;
    private LambdaClient lambda;
    private CloudWatchLogsClient logs;
    private LambdaWaits waits;
    private String functionName;
    private String logGroup;
    private String qualifier;
    private URI endpoint;
    private Map<String, String> functionEnv;
    private int memoryMb;
    private int coldGeneration;
    private Instant deployedAt;
    private Instant coldSince;
    private final TeardownHook shutdownHook = new TeardownHook("salvo-aws-lambda-teardown", this::removeEverything);
    private PlatformSignals lastSignals;
    private Instant lastSignalsAt;

    public LambdaPlatformDriver(LambdaSettings settings, Environment environment, Clock clock) {
        this.configured = settings;
        this.settings = settings;
        this.environment = environment;
        this.clock = clock;
    }

    @Override
    public synchronized String label() {
        LambdaSettings s = settings;
        StringBuilder label = new StringBuilder(NAME)
                .append(' ')
                .append(functionName != null ? functionName : s.functionName() != null ? s.functionName() : "(new)")
                .append(" (")
                .append(s.packageType().name().toLowerCase(Locale.ROOT))
                .append(", ")
                .append(s.architecture());
        if (memoryMb > 0) {
            label.append(", ").append(memoryMb).append(" MB");
        }
        if (s.snapStart()) {
            label.append(", SnapStart");
        }
        if (s.provisionedConcurrency() > 0) {
            label.append(", provisioned concurrency ").append(s.provisionedConcurrency());
        }
        return label.append(')').toString();
    }

    @Override
    public void validate(DeploymentSpec spec) throws PlatformLimitException {
        PlatformLimitException.check(NAME, LambdaLimits.violations(configured, spec));
    }

    @Override
    public URI deploy(DeploymentSpec spec) throws PlatformLimitException, PlatformException {
        validate(spec);
        synchronized (this) {
            if (functionName != null) {
                throw new IllegalStateException("already deployed; teardown() first");
            }
            // registered before the first call, so a Ctrl-C during deploy still removes what was created
            shutdownHook.arm();
        }
        try {
            return deployFunction(spec);
        } catch (PlatformException | RuntimeException e) {
            teardown();
            throw e;
        }
    }

    private URI deployFunction(DeploymentSpec spec) throws PlatformException {
        if (configured.role() == null) {
            throw new PlatformException("aws-lambda: setting 'role' (the ARN of the function's execution role) is"
                    + " required to create a function; see docs/platforms/aws-lambda.md for the role's policy");
        }
        try {
            region = configured.region() != null
                    ? Region.of(configured.region())
                    : environment.defaultRegion().get();
        } catch (SdkException e) {
            throw LambdaErrors.noRegion();
        }
        try {
            environment.credentials().resolveCredentials();
        } catch (SdkException e) {
            throw LambdaErrors.noCredentials();
        }
        String name = configured.functionName() != null ? configured.functionName() : newFunctionName(spec.model());
        synchronized (this) {
            settings = configured.withFunctionName(name);
            functionName = name;
            memoryMb = configured.memoryMb() != null ? configured.memoryMb() : spec.memoryMbPerInstance();
            logGroup = configured.logGroup() != null ? configured.logGroup() : "/aws/lambda/" + name;
        }
        openClients();
        ensureLogGroup();

        Map<String, String> env = new LinkedHashMap<>();
        env.put("SALVO_MODEL", spec.model());
        env.put("SALVO_MAX_CONCURRENT", "1");
        env.putAll(spec.env());
        env.putAll(configured.env());
        env.put(COLD_GENERATION_ENV, "0");
        functionEnv = env;

        CreateFunctionRequest.Builder create = CreateFunctionRequest.builder()
                .functionName(name)
                .role(configured.role())
                .memorySize(memoryMb)
                .timeout((int) configured.timeout().toSeconds())
                .ephemeralStorage(e -> e.size(configured.ephemeralStorageMb()))
                .architectures(Architecture.fromValue(configured.architecture()))
                .environment(e -> e.variables(env))
                .loggingConfig(l -> {
                    l.logFormat(LogFormat.TEXT);
                    if (configured.logGroup() != null) {
                        l.logGroup(configured.logGroup());
                    }
                })
                .description(
                        "Salvo benchmark target (model " + spec.model() + "); created by salvo, deleted at teardown")
                .tags(Map.of("salvo", "benchmark"));
        if (configured.packageType() == LambdaSettings.PackageType.IMAGE) {
            create.packageType(PackageType.IMAGE)
                    .code(FunctionCode.builder().imageUri(configured.imageUri()).build());
        } else {
            byte[] zip;
            try {
                zip = Files.readAllBytes(configured.zipFile());
            } catch (IOException e) {
                throw new PlatformException("aws-lambda: cannot read zip-file " + configured.zipFile() + ": " + e);
            }
            create.packageType(PackageType.ZIP)
                    .runtime(configured.runtime())
                    .handler(configured.handler())
                    .code(FunctionCode.builder()
                            .zipFile(SdkBytes.fromByteArray(zip))
                            .build());
        }
        if (configured.snapStart()) {
            create.snapStart(s -> s.applyOn(SnapStartApplyOn.PUBLISHED_VERSIONS));
        }
        call(
                "creating function " + name,
                "lambda:CreateFunction (with lambda:TagResource, and iam:PassRole on the role)",
                () -> lambda.createFunction(create.build()));
        synchronized (this) {
            created.add(CreatedResources.Kind.FUNCTION);
        }
        waits().function(name, "waiting for function " + name + " to become Active", configured.readyTimeout());
        if (spec.maxInstances() != null) {
            // the plan's ceiling: reserved concurrency caps the function's execution environments (and takes them
            // from the account's unreserved pool while the function exists)
            call(
                    "reserving concurrency " + spec.maxInstances() + " for " + name,
                    "lambda:PutFunctionConcurrency",
                    () -> lambda.putFunctionConcurrency(
                            r -> r.functionName(name).reservedConcurrentExecutions(spec.maxInstances())));
        }
        if (configured.publishesVersion()) {
            publishAndPoint(false);
        }
        URI uri = configured.access() == LambdaSettings.Access.URL ? createUrl() : invokeUri();
        synchronized (this) {
            endpoint = uri;
            deployedAt = clock.instant();
            coldSince = deployedAt;
        }
        LOG.info(() -> "deployed " + label() + " at " + uri);
        return uri;
    }

    private static String newFunctionName(String model) {
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        String base = "salvo-" + model.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-_]", "-");
        if (base.length() > 55) {
            base = base.substring(0, 55);
        }
        return base + "-" + HexFormat.of().formatHex(random);
    }

    private void openClients() {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(70));
        var retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(configured.maxAttempts())
                .build();
        var lambdaBuilder = LambdaClient.builder()
                .region(region)
                .credentialsProvider(environment.credentials())
                .httpClientBuilder(http)
                .overrideConfiguration(o -> o.retryStrategy(retry));
        var logsBuilder = CloudWatchLogsClient.builder()
                .region(region)
                .credentialsProvider(environment.credentials())
                .httpClientBuilder(http)
                .overrideConfiguration(o -> o.retryStrategy(retry));
        if (configured.endpoint() != null) {
            lambdaBuilder.endpointOverride(configured.endpoint());
            logsBuilder.endpointOverride(configured.endpoint());
        }
        LambdaClient newLambda = lambdaBuilder.build();
        synchronized (this) {
            lambda = newLambda;
            logs = logsBuilder.build();
            waits = new LambdaWaits(newLambda, environment.pollInterval());
        }
    }

    /** Creates the log group when it does not exist yet (so teardown deletes only a group the driver made). */
    private void ensureLogGroup() throws PlatformException {
        boolean exists = call(
                "looking up log group " + logGroup,
                "logs:DescribeLogGroups",
                () -> logs.describeLogGroups(r -> r.logGroupNamePrefix(logGroup)).logGroups().stream()
                        .anyMatch(g -> logGroup.equals(g.logGroupName())));
        if (!exists) {
            call(
                    "creating log group " + logGroup,
                    "logs:CreateLogGroup",
                    () -> logs.createLogGroup(r -> r.logGroupName(logGroup).tags(Map.of("salvo", "benchmark"))));
            synchronized (this) {
                created.add(CreatedResources.Kind.LOG_GROUP);
            }
        }
    }

    /** Publishes a version of the current configuration and points the alias at it (created on first use). */
    private void publishAndPoint(boolean aliasExists) throws PlatformException {
        String name = functionName;
        String version = call(
                        "publishing a version of " + name,
                        "lambda:PublishVersion",
                        () -> lambda.publishVersion(r -> r.functionName(name)))
                .version();
        waits().publishedVersion(
                        name,
                        version,
                        "waiting for version " + version + " of " + name + " to become Active",
                        configured.readyTimeout());
        if (aliasExists) {
            call(
                    "pointing alias " + ALIAS + " at version " + version,
                    "lambda:UpdateAlias",
                    () -> lambda.updateAlias(
                            r -> r.functionName(name).name(ALIAS).functionVersion(version)));
        } else {
            call(
                    "creating alias " + ALIAS + " for version " + version,
                    "lambda:CreateAlias",
                    () -> lambda.createAlias(
                            r -> r.functionName(name).name(ALIAS).functionVersion(version)));
        }
        synchronized (this) {
            qualifier = ALIAS;
        }
        if (configured.provisionedConcurrency() > 0) {
            call(
                    "configuring provisioned concurrency " + configured.provisionedConcurrency(),
                    "lambda:PutProvisionedConcurrencyConfig",
                    () -> lambda.putProvisionedConcurrencyConfig(r -> r.functionName(name)
                            .qualifier(ALIAS)
                            .provisionedConcurrentExecutions(configured.provisionedConcurrency())));
            waits().provisioned(name, ALIAS, configured.readyTimeout());
        }
    }

    private URI createUrl() throws PlatformException {
        String name = functionName;
        String q = qualifier;
        FunctionUrlAuthType auth = FunctionUrlAuthType.fromValue(configured.urlAuth());
        String url = call(
                        "creating the function URL of " + name,
                        "lambda:CreateFunctionUrlConfig",
                        () -> lambda.createFunctionUrlConfig(
                                r -> r.functionName(name).qualifier(q).authType(auth)))
                .functionUrl();
        synchronized (this) {
            created.add(CreatedResources.Kind.URL);
        }
        if (auth == FunctionUrlAuthType.NONE) {
            // a public URL needs both statements since AWS's change of October 2025
            call(
                    "allowing public calls of the function URL",
                    "lambda:AddPermission",
                    () -> lambda.addPermission(r -> r.functionName(name)
                            .qualifier(q)
                            .statementId(PUBLIC_URL_STATEMENT)
                            .action("lambda:InvokeFunctionUrl")
                            .principal("*")
                            .functionUrlAuthType(FunctionUrlAuthType.NONE)));
            synchronized (this) {
                created.add(CreatedResources.Kind.URL_PERMISSIONS);
            }
            call(
                    "allowing public invocation through the function URL",
                    "lambda:AddPermission",
                    () -> lambda.addPermission(r -> r.functionName(name)
                            .qualifier(q)
                            .statementId(PUBLIC_INVOKE_STATEMENT)
                            .action("lambda:InvokeFunction")
                            .principal("*")
                            .invokedViaFunctionUrl(true)));
        }
        String trimmed = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return URI.create(trimmed);
    }

    private URI invokeUri() {
        String base = configured.endpoint() != null
                ? configured.endpoint().toString()
                : "https://lambda." + region.id() + ".amazonaws.com";
        String q = qualifier == null ? "" : "?Qualifier=" + qualifier;
        return URI.create(base + "/2015-03-31/functions/" + functionName + "/invocations" + q);
    }

    @Override
    public synchronized URI endpoint() {
        if (endpoint == null) {
            throw new IllegalStateException("deploy() first");
        }
        return endpoint;
    }

    /** The function's name; null before deploy. */
    public synchronized String functionName() {
        return functionName;
    }

    /** The region the function lives in; null before deploy. */
    public synchronized Region region() {
        return region;
    }

    @Override
    public void awaitReady(Duration timeout) throws TimeoutException, InterruptedException, PlatformException {
        requireDeployed();
        try {
            String name = functionName();
            waits().function(name, "waiting for function " + name + " to be Active and updated", timeout);
            if (configured.provisionedConcurrency() > 0) {
                waits().provisioned(name, ALIAS, timeout);
            }
        } catch (LambdaWaits.Timeout e) {
            throw new TimeoutException(e.getMessage());
        }
    }

    /**
     * A signer for requests to this deployment's function URL (url-auth AWS_IAM), with the driver's credentials and
     * region: the sender takes its headers from each round (see {@link FunctionUrlSigner}).
     *
     * @param path   the request path on the function URL, e.g. {@code /v2/models/minilm/infer}
     * @param bodies the run's request bodies in rotation order
     */
    public FunctionUrlSigner signer(String method, String path, Map<String, String> headers, List<byte[]> bodies) {
        URI base = endpoint();
        return new FunctionUrlSigner(
                URI.create(base + path),
                method,
                headers,
                bodies,
                environment.credentials(),
                region(),
                clock,
                FunctionUrlSigner.DEFAULT_RESIGN_INTERVAL);
    }

    /**
     * With {@code url-auth: AWS_IAM}: for every body of the run's rotation, the SigV4 headers of its request (Host,
     * X-Amz-Date, X-Amz-Content-SHA256, X-Amz-Security-Token with temporary credentials, Authorization), signed now by
     * the SDK's signer, each distinct body once; {@link RequestHeaders#renewAt()} is a minute later (sooner before
     * temporary credentials expire), while AWS accepts a signature for five. Nothing otherwise.
     *
     * @throws PlatformException when the requests cannot be signed (no credentials)
     */
    @Override
    public RequestHeaders requestHeaders(RunRequests requests) throws PlatformException {
        if (configured.access() != LambdaSettings.Access.URL
                || !configured.urlAuth().equals("AWS_IAM")) {
            return RequestHeaders.NONE;
        }
        FunctionUrlSigner signer;
        synchronized (this) {
            // The caller asks again with the same requests at every renewal: one signer (and digest list) per run.
            if (!java.util.Objects.equals(lastSigned, requests)) {
                lastSigned = requests;
                lastSigner = new FunctionUrlSigner(
                        requests.url(),
                        requests.method(),
                        requests.headers(),
                        requests.bodies(),
                        environment.credentials(),
                        region(),
                        clock,
                        FunctionUrlSigner.DEFAULT_RESIGN_INTERVAL);
            }
            signer = lastSigner;
        }
        FunctionUrlSigner.Signatures round = LambdaErrors.call(
                "signing requests to the function URL", "lambda:InvokeFunctionUrl", signer::signRound);
        return new RequestHeaders(Map.of(), round.headersPerBody(), round.useUntil());
    }

    @Override
    public boolean canForceCold() {
        return true;
    }

    /**
     * Forces the next request onto a new execution environment the way SeBS does: a configuration update (here the
     * {@value #COLD_GENERATION_ENV} environment variable) after which Lambda starts new environments, then waits for
     * the update to be Successful (and, with SnapStart or provisioned concurrency, publishes and points the alias at
     * a new version). The instance ids seen before are remembered, so {@link #verifyColdStart} can prove it.
     */
    @Override
    public void forceCold() throws InterruptedException, PlatformException {
        requireDeployed();
        Instant now = clock.instant();
        rememberInstancesUntil(now);
        Map<String, String> env;
        synchronized (this) {
            coldGeneration++;
            env = new LinkedHashMap<>(functionEnv);
            env.put(COLD_GENERATION_ENV, Integer.toString(coldGeneration));
            functionEnv = env;
        }
        String name = functionName;
        call(
                "updating the configuration of " + name + " to force a cold start",
                "lambda:UpdateFunctionConfiguration",
                () -> lambda.updateFunctionConfiguration(
                        r -> r.functionName(name).environment(e -> e.variables(env))));
        try {
            waits().function(
                            name,
                            "waiting for the update of " + name + " (forced cold start)",
                            configured.readyTimeout());
        } catch (LambdaWaits.Timeout e) {
            throw new PlatformException(e.getMessage());
        }
        if (configured.publishesVersion()) {
            publishAndPoint(true);
        }
        synchronized (this) {
            coldSince = clock.instant();
            lastSignals = null;
        }
    }

    /** Adds the instance ids of every environment the logs show up to {@code until} to the "before cold" set. */
    private void rememberInstancesUntil(Instant until) throws PlatformException {
        Instant from;
        synchronized (this) {
            from = deployedAt;
        }
        if (from == null || !until.isAfter(from)) {
            return;
        }
        LambdaLogs window = readLogs(from, until);
        synchronized (this) {
            for (LambdaInstance instance : window.instances()) {
                if (instance.instanceId() != null) {
                    instanceIdsBeforeCold.add(instance.instanceId());
                }
            }
        }
    }

    /** Instance ids the caller saw before the forced cold start (e.g. the warm run's), for {@link #verifyColdStart}. */
    public synchronized void noteInstanceIdsBeforeCold(Collection<String> ids) {
        instanceIdsBeforeCold.addAll(ids);
    }

    /**
     * Checks that the instances that answered after {@link #forceCold()} are new: none of their ids was seen before
     * (in the function's logs up to the forced cold start, or noted by the caller).
     *
     * @param idsAfter the {@code Salvo-Instance-Id}s of the responses after the forced cold start
     * @return the new ids
     * @throws PlatformException when no id was seen after, or an id seen before answered again
     */
    public Set<String> verifyColdStart(Collection<String> idsAfter) throws PlatformException {
        Set<String> before;
        synchronized (this) {
            before = new TreeSet<>(instanceIdsBeforeCold);
        }
        if (idsAfter.isEmpty()) {
            throw new PlatformException("aws-lambda: forced cold start not verified: no response carried a"
                    + " Salvo-Instance-Id (is the target Salvo's model-server?)");
        }
        Set<String> reused = new TreeSet<>(idsAfter);
        reused.retainAll(before);
        if (!reused.isEmpty()) {
            throw new PlatformException("aws-lambda: forced cold start not verified: instance(s) " + reused
                    + " answered before and after the configuration update");
        }
        return new TreeSet<>(idsAfter);
    }

    /** When the last forced cold start (or the deploy) finished; null before deploy. */
    public synchronized Instant coldSince() {
        return coldSince;
    }

    /**
     * Invokes the function through the Lambda Invoke API with a function URL (payload 2.0) event, the way the
     * function URL would: for probes, and for {@code access=invoke} deployments.
     */
    public InvokeResult invoke(String method, String path, byte[] body) throws PlatformException {
        requireDeployed();
        String event = InvokeResult.event(method, path, body);
        String name = functionName;
        String q = qualifier;
        InvokeResponse response = call(
                "invoking " + name,
                "lambda:InvokeFunction",
                () -> lambda.invoke(r -> {
                    r.functionName(name).payload(SdkBytes.fromUtf8String(event));
                    if (q != null) {
                        r.qualifier(q);
                    }
                }));
        String payload = response.payload() == null ? "" : response.payload().asUtf8String();
        if (response.functionError() != null) {
            throw new PlatformException("aws-lambda: the function failed (" + response.functionError() + "): "
                    + (payload.length() > 400 ? payload.substring(0, 400) + "..." : payload));
        }
        return InvokeResult.of(payload);
    }

    @Override
    public PlatformSignals signals() {
        Instant from;
        Instant now = clock.instant();
        synchronized (this) {
            if (deployedAt == null) {
                return PlatformSignals.none(NAME + " (not deployed)");
            }
            if (lastSignals != null && Duration.between(lastSignalsAt, now).compareTo(SIGNALS_CACHE) < 0) {
                return lastSignals;
            }
            from = deployedAt;
        }
        PlatformSignals signals;
        try {
            LambdaLogs window = readLogs(from, now);
            signals = new PlatformSignals(
                    "CloudWatch Logs of " + label() + " (REPORT and SALVO_INSTANCE lines, one log stream per"
                            + " execution environment)",
                    window.instances().stream().map(LambdaLogs::toRecord).toList(),
                    List.of(),
                    null,
                    null);
        } catch (PlatformException e) {
            synchronized (this) {
                return lastSignals != null ? lastSignals : PlatformSignals.none(NAME + " (" + e.getMessage() + ")");
            }
        }
        synchronized (this) {
            lastSignals = signals;
            lastSignalsAt = now;
        }
        return signals;
    }

    /**
     * Every execution environment in the function's logs between two instants, with its Init Duration and instance
     * id: the ground truth to match Salvo's cold-start events against ({@link LambdaLogs#instance(String)}).
     */
    public LambdaLogs logs(Instant from, Instant to) throws PlatformException {
        requireDeployed();
        return readLogs(from, to);
    }

    /**
     * Billed quantities from the REPORT lines of the window: {@code aws-lambda:requests} (one per REPORT line),
     * {@code aws-lambda:gb-seconds:<arch>} (Σ Billed Duration × Memory Size) and, with provisioned concurrency,
     * {@code aws-lambda:provisioned-gb-seconds:<arch>} (configured environments × memory × the window; an estimate,
     * since AWS bills the time it is enabled in 5-minute steps). CloudWatch receives REPORT lines a few seconds
     * after the invocation: ask after the run has been over for ~30 s.
     */
    @Override
    public Optional<PlatformUsage> usage(Instant from, Instant to) throws InterruptedException, PlatformException {
        requireDeployed();
        LambdaLogs window = readLogs(from, to);
        String arch = configured.architecture();
        List<UsageQuantity> quantities = new ArrayList<>();
        quantities.add(new UsageQuantity(
                NAME + ":requests", window.requests(), "requests", "CloudWatch REPORT lines (one per invocation)"));
        quantities.add(new UsageQuantity(
                NAME + ":gb-seconds:" + arch,
                window.gbSeconds(),
                "GB-s",
                "CloudWatch REPORT lines (Billed Duration × Memory Size, 1 GB = 1,024 MB)"));
        if (configured.provisionedConcurrency() > 0) {
            double seconds = Duration.between(from, to).toMillis() / 1000.0;
            quantities.add(new UsageQuantity(
                    NAME + ":provisioned-gb-seconds:" + arch,
                    configured.provisionedConcurrency() * (memoryMb / 1024.0) * Math.max(0, seconds),
                    "GB-s",
                    "configured provisioned concurrency × memory × window (estimate: AWS bills from enabling to"
                            + " disabling, rounded up to 5 minutes)"));
        }
        return Optional.of(new PlatformUsage(from, to, null, quantities));
    }

    private LambdaLogs readLogs(Instant from, Instant to) throws PlatformException {
        CloudWatchLogsClient client;
        String group;
        synchronized (this) {
            client = logs;
            group = logGroup;
        }
        if (client == null || !to.isAfter(from)) {
            return LambdaLogs.of(List.of());
        }
        FilterLogEventsRequest request = FilterLogEventsRequest.builder()
                .logGroupName(group)
                .startTime(from.toEpochMilli())
                // inclusive in CloudWatch; the window is [from, to)
                .endTime(to.toEpochMilli() - 1)
                .filterPattern(LOG_FILTER)
                .build();
        List<LogEvent> events = new ArrayList<>();
        try {
            for (FilteredLogEvent event :
                    client.filterLogEventsPaginator(request).events()) {
                events.add(
                        new LogEvent(event.logStreamName(), Instant.ofEpochMilli(event.timestamp()), event.message()));
            }
        } catch (AwsServiceException e) {
            if (e.statusCode() == 400
                    && e.awsErrorDetails() != null
                    && "ResourceNotFoundException".equals(e.awsErrorDetails().errorCode())) {
                // Lambda creates its log group on the first invocation: no group yet means no invocation yet
                return LambdaLogs.of(List.of());
            }
            throw LambdaErrors.translate(e, "reading log group " + group, "logs:FilterLogEvents");
        } catch (SdkException e) {
            throw LambdaErrors.translate(e, "reading log group " + group, "logs:FilterLogEvents");
        }
        return LambdaLogs.of(events);
    }

    @Override
    public void teardown() {
        shutdownHook.tearDownNow();
    }

    /** Deletes what this driver created (unless keep), then closes the clients; never throws. */
    private void removeEverything() {
        LambdaClient lambdaClient;
        CloudWatchLogsClient logsClient;
        LambdaWaits currentWaits;
        String name;
        String q;
        String group;
        synchronized (this) {
            lambdaClient = lambda;
            logsClient = logs;
            currentWaits = waits;
            name = functionName;
            q = qualifier;
            group = logGroup;
            lambda = null;
            logs = null;
            waits = null;
            functionName = null;
            endpoint = null;
            deployedAt = null;
            qualifier = null;
        }
        if (lambdaClient == null) {
            return;
        }
        Set<CreatedResources.Kind> toRemove = created.takeAll();
        if (configured.keep()) {
            if (!toRemove.isEmpty()) {
                LOG.info(() -> "keep: left function " + name + " and its URL and log group " + group + " in place");
            }
        } else {
            List<String> failures = CreatedResources.remove(toRemove, lambdaClient, logsClient, name, q, group);
            if (!failures.isEmpty()) {
                LOG.warning(() -> "aws-lambda teardown left resources behind; delete them by hand: "
                        + String.join("; ", failures));
            }
        }
        currentWaits.close();
        lambdaClient.close();
        logsClient.close();
    }

    private synchronized LambdaWaits waits() {
        if (waits == null) {
            throw new IllegalStateException("deploy() first, or torn down meanwhile");
        }
        return waits;
    }

    private void requireDeployed() {
        synchronized (this) {
            if (functionName == null || lambda == null) {
                throw new IllegalStateException("deploy() first");
            }
        }
    }
}
