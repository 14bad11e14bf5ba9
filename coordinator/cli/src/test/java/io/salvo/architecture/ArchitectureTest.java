package io.salvo.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module graph of docs/architecture.md, checked on the compiled classes of every module: arrows only
 * point down, test fixtures never reach production code, and no two packages depend on each other. It runs
 * here, in the CLI module, because only the top of the graph sees every module's classes. (Each module's
 * pom also bans the modules above it, so a forbidden Maven dependency fails before anything compiles.)
 */
class ArchitectureTest {

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // Salvo's own jars and class folders only: scanning every dependency jar (ONNX Runtime's alone is
                // 90 MB) for io.salvo classes took most of this test's time.
                .withImportOption(ArchitectureTest::salvoLocation)
                .importPackages("io.salvo");
    }

    private static boolean salvoLocation(com.tngtech.archunit.core.importer.Location location) {
        String uri = location.asURI().toString();
        return uri.contains("/salvo-") || uri.contains("/target/classes");
    }

    @Test
    void everyModuleIsOnTheClassPathSoTheRulesSeeIt() {
        for (String module : new String[] {
            "io.salvo.proto.v1",
            "io.salvo.core",
            "io.salvo.testkit",
            "io.salvo.worker",
            "io.salvo.modelserver",
            "io.salvo.platform",
            "io.salvo.platform.lambda",
            "io.salvo.platform.cloudrun",
            "io.salvo.platform.kubernetes",
            "io.salvo.platform.knative",
            "io.salvo.detect",
            "io.salvo.report",
            "io.salvo.thresholds",
            "io.salvo.search",
            "io.salvo.coordinator",
            "io.salvo.cli",
            "io.salvo.plan",
            "io.salvo.benchmark",
            "io.salvo.deploy"
        }) {
            assertThat(production.stream().anyMatch(c -> c.getPackageName().startsWith(module)))
                    .as("classes of %s imported", module)
                    .isTrue();
        }
    }

    @Test
    void dependenciesPointOnlyDown() {
        layeredArchitecture()
                .consideringOnlyDependenciesInAnyPackage("io.salvo..")
                .layer("contract")
                .definedBy("io.salvo.proto.v1..")
                .layer("core")
                .definedBy("io.salvo.core..")
                .layer("testkit")
                .definedBy("io.salvo.testkit..")
                .layer("worker")
                .definedBy("io.salvo.worker..", "io.salvo.target..")
                .layer("model-server")
                .definedBy("io.salvo.modelserver..")
                .layer("platform-drivers")
                .definedBy("io.salvo.platform..")
                .layer("analysis")
                .definedBy("io.salvo.detect..", "io.salvo.report..", "io.salvo.thresholds..", "io.salvo.search..")
                .layer("server")
                .definedBy("io.salvo.coordinator..")
                .layer("cli")
                .definedBy("io.salvo.cli..", "io.salvo.plan..", "io.salvo.benchmark..", "io.salvo.deploy..")
                .whereLayer("cli")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("server")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("analysis")
                .mayOnlyBeAccessedByLayers("server", "cli")
                .whereLayer("worker")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("platform-drivers")
                .mayOnlyBeAccessedByLayers("cli")
                .whereLayer("model-server")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("testkit")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("core")
                .mayOnlyBeAccessedByLayers("worker", "analysis", "server", "cli")
                .whereLayer("contract")
                .mayOnlyBeAccessedByLayers("core", "testkit", "worker", "analysis", "server", "cli")
                .check(production);
    }

    /**
     * A platform driver in a module of its own (cloud-run) is reached only through the SPI and ServiceLoader: no
     * other package uses its classes, so its cloud SDK never leaks into the rest of the code.
     */
    @Test
    void driverModulesAreUsedOnlyThroughTheSpi() {
        noClasses()
                .that()
                .resideOutsideOfPackage("io.salvo.platform.cloudrun..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.salvo.platform.cloudrun..")
                .check(production);
    }

    /** The kubernetes and knative drivers (module platform-kubernetes) too: the CLI has them at run time only. */
    @Test
    void kubernetesDriversAreUsedOnlyThroughTheSpi() {
        noClasses()
                .that()
                .resideOutsideOfPackages("io.salvo.platform.kubernetes..", "io.salvo.platform.knative..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.salvo.platform.kubernetes..", "io.salvo.platform.knative..")
                .check(production);
    }

    @Test
    void onlyTheLambdaDriverUsesTheAwsSdk() {
        // ADR 0013: the SDK stays in its driver's module; the CLI loads that module at run time only
        noClasses()
                .that()
                .resideOutsideOfPackage("io.salvo.platform.lambda..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("software.amazon.awssdk..")
                .check(production);
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        slices().matching("io.salvo.(**)").should().beFreeOfCycles().check(production);
    }
}
