package io.salvo.platform.lambda;

import io.salvo.platform.DeploymentSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Run in a separate JVM by {@link LambdaDriverFakeTest}: deploys against the fake at {@code args[0]}, prints
 * DEPLOYED, and waits to be terminated; the driver's shutdown hook must then delete what it created.
 */
public final class DeployThenWait {

    private DeployThenWait() {}

    public static void main(String[] args) throws Exception {
        LambdaPlatformDriver driver = new LambdaPlatformDriver(
                LambdaSettings.parse(Map.of(
                        "image-uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/salvo-model-server:minilm",
                        "role", "arn:aws:iam::123456789012:role/salvo-lambda",
                        "region", "us-east-1",
                        "endpoint", args[0],
                        "function-name", "salvo-hook-test",
                        "max-attempts", "1")),
                new LambdaPlatformDriver.Environment(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDFAKE", "fake-secret")),
                        () -> Region.US_EAST_1,
                        Duration.ofMillis(10)),
                Clock.systemUTC());
        driver.deploy(DeploymentSpec.of("minilm"));
        System.out.println("DEPLOYED");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5).toMillis());
    }
}
