package io.salvo.cli;

import io.salvo.benchmark.ComparisonTables;
import io.salvo.benchmark.CostEstimate;
import io.salvo.benchmark.PlatformHeaders;
import io.salvo.benchmark.PriceTable;
import io.salvo.plan.PlanDocument;
import io.salvo.plan.PlatformSection;
import io.salvo.platform.DeploymentSpec;
import io.salvo.platform.PlatformDriver;
import io.salvo.platform.PlatformDrivers;
import io.salvo.platform.PlatformException;
import io.salvo.platform.PlatformLimitException;
import io.salvo.platform.PlatformUsage;
import io.salvo.platform.UsageQuantity;
import io.salvo.proto.v1.RunPlan;
import io.salvo.report.CostSection;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A model deployed through a platform driver for the CLI: {@code salvo run} with a plan's {@code platform} section,
 * and {@code salvo deploy model}. Deploys, waits until ready, optionally forces a cold start; tears down when asked,
 * idempotently, so a Ctrl-C hook and a {@code finally} may both call it.
 */
final class ModelDeployment {

    private final PlatformDriver driver;
    private final URI endpoint;

    private ModelDeployment(PlatformDriver driver, URI endpoint) {
        this.driver = driver;
        this.endpoint = endpoint;
    }

    PlatformDriver driver() {
        return driver;
    }

    URI endpoint() {
        return endpoint;
    }

    /** A deployment that failed, with a message for the user; the driver already tore down what it made. */
    static final class DeploymentFailed extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        DeploymentFailed(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    static ModelDeployment deploy(
            String platform, Map<String, String> config, DeploymentSpec spec, Duration readyTimeout, PrintStream out)
            throws DeploymentFailed, InterruptedException {
        PlatformDriver driver;
        try {
            driver = PlatformDrivers.factory(platform).create(config);
        } catch (IllegalArgumentException e) {
            throw new DeploymentFailed(e.getMessage(), RunExecution.USER_ERROR);
        }
        out.println("Deploying " + spec.model() + " on " + driver.label() + "...");
        try {
            URI endpoint = driver.deploy(spec);
            driver.awaitReady(readyTimeout);
            out.println("Deployed: " + endpoint);
            return new ModelDeployment(driver, endpoint);
        } catch (PlatformLimitException e) {
            driver.teardown();
            throw new DeploymentFailed(e.getMessage(), RunExecution.USER_ERROR);
        } catch (PlatformException e) {
            driver.teardown();
            throw new DeploymentFailed(platform + ": " + e.getMessage(), RunExecution.FAILED);
        } catch (TimeoutException e) {
            driver.teardown();
            throw new DeploymentFailed(
                    platform + ": not ready within " + readyTimeout.toSeconds() + " s: " + e.getMessage(),
                    RunExecution.FAILED);
        } catch (InterruptedException e) {
            driver.teardown();
            throw e;
        }
    }

    /** Forces a cold start and checks the platform's signals show no instance left. */
    void forceCold(PrintStream out) throws DeploymentFailed, InterruptedException {
        if (!driver.canForceCold()) {
            throw new DeploymentFailed(driver.label() + " cannot force a cold start", RunExecution.USER_ERROR);
        }
        java.util.Set<String> before = new java.util.HashSet<>();
        driver.signals().instances().stream()
                .filter(i -> i.spawnedAt() != null && i.stoppedAt() == null)
                .forEach(i -> before.add(i.name()));
        try {
            driver.forceCold();
        } catch (PlatformException e) {
            throw new DeploymentFailed("forcing a cold start failed: " + e.getMessage(), RunExecution.FAILED);
        }
        // a platform that keeps a minimum may already run a new replacement: only the old instances must be gone
        long alive = driver.signals().instances().stream()
                .filter(i -> i.spawnedAt() != null && i.stoppedAt() == null && before.contains(i.name()))
                .count();
        if (alive > 0) {
            throw new DeploymentFailed(
                    "not cold after forcing a cold start: " + alive + " instance(s) still running",
                    RunExecution.FAILED);
        }
        out.println("Forced cold: every instance that was running is gone.");
    }

    void teardown(PrintStream out) {
        out.println("Tearing down " + driver.label() + "...");
        driver.teardown();
    }

    /**
     * Carries out the run on the deployed platform (RunCommand: a {@link RunExecution} with the driver attached) whose
     * platform headers {@code headers} keeps valid.
     */
    @FunctionalInterface
    interface PlatformRun {
        /**
         * Runs the plan on the deployment.
         *
         * @param headers    the plan pointed at the deployment, with the platform's headers, renewed during the run
         * @param beforeHalt runs on Ctrl-C after the partial report (the deployment's teardown, or the keep message)
         * @param driver     the deployed (and forced cold) driver, to attach with {@link RunExecution#platform}
         * @param prices     the table the run's report prices the platform's usage by ({@link RunExecution#prices})
         */
        Finished run(PlatformHeaders headers, Runnable beforeHalt, PlatformDriver driver, PriceTable prices);
    }

    /**
     * How a run on the platform ended.
     *
     * @param exitCode  the run's exit code
     * @param successes the 2xx responses Salvo counted, the predictions a platform that counts none is priced per;
     *                  0 when the run wrote no report
     * @param cost      the cost estimate the run's report carries; null when it has none
     */
    record Finished(int exitCode, long successes, CostSection cost) {}

    /**
     * {@code salvo run} of a plan with a platform section: deploy, point the plan's target path at the endpoint, force
     * cold if asked, run with the driver attached (its scale-up at load start, its counts and events in the live view,
     * its cold-start breakdown in the report and beside it), print the platform's billed usage and the estimated cost per million predictions, tear down
     * (also on Ctrl-C) unless the section says keep.
     */
    static int runOn(PlanDocument document, RunPlan plan, PlatformRun execute, PrintStream out, PrintStream err) {
        PlatformSection section = document.platform();
        ModelDeployment deployment;
        try {
            deployment =
                    deploy(section.platform(), section.config(), section.deployment(), section.readyTimeout(), out);
        } catch (DeploymentFailed e) {
            err.println("salvo: " + e.getMessage());
            return e.exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RunExecution.INTERRUPTED;
        }
        Runnable teardown = section.keep()
                ? () -> out.println("Keeping the deployment (platform.keep): " + deployment.endpoint())
                : () -> deployment.teardown(out);
        try {
            if (section.forceCold()) {
                deployment.forceCold(out);
            }
            String url = deployment.endpoint().resolve(document.targetPath()).toString();
            PlatformHeaders headers;
            try {
                headers = PlatformHeaders.prepare(
                        plan.toBuilder()
                                .setRequest(plan.getRequest().toBuilder().setUrl(url))
                                .build(),
                        deployment.driver());
            } catch (io.salvo.platform.PlatformException e) {
                throw new DeploymentFailed(
                        "cannot authenticate requests to " + deployment.driver().label() + ": " + e.getMessage(),
                        RunExecution.FAILED);
            }
            Instant from = Instant.now();
            Finished finished;
            try (headers) {
                finished = execute.run(headers, teardown, deployment.driver(), prices(section.config(), out));
            }
            if (finished.cost() != null) {
                printCost(finished.cost(), out);
            } else {
                printUsage(deployment.driver(), section.config(), from, Instant.now(), finished.successes(), out);
            }
            return finished.exitCode();
        } catch (DeploymentFailed e) {
            err.println("salvo: " + e.getMessage());
            return e.exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RunExecution.INTERRUPTED;
        } finally {
            teardown.run();
        }
    }

    /**
     * The platform's billed usage over the run, priced by the built-in table (with the node prices {@code settings}
     * give) per prediction: the platform's own count when it has one, else the run's {@code salvoSuccesses} (2xx
     * responses); nothing when it reports no usage.
     */
    static void printUsage(
            PlatformDriver driver,
            Map<String, String> settings,
            Instant from,
            Instant to,
            long salvoSuccesses,
            PrintStream out)
            throws InterruptedException {
        Optional<PlatformUsage> usage;
        try {
            usage = driver.usage(from, to);
        } catch (PlatformException e) {
            out.println("Platform usage unavailable: " + e.getMessage());
            return;
        }
        if (usage.isEmpty()) {
            return;
        }
        PriceTable prices = prices(settings, out);
        out.println("\nPlatform usage over the run (" + driver.label() + "):");
        for (UsageQuantity q : usage.get().quantities()) {
            out.printf(Locale.ROOT, "  %-40s %14.4f %-8s %s%n", q.dimension(), q.amount(), q.unit(), q.basis());
        }
        Long counted = usage.get().predictions();
        if ((counted != null && counted > 0) || salvoSuccesses > 0) {
            CostEstimate cost = CostEstimate.of(usage.get(), salvoSuccesses, prices);
            out.printf(
                    Locale.ROOT,
                    "Estimated cost: %s in all, %s per million predictions (%d predictions; %s price table of %s%s)%n",
                    ComparisonTables.money(cost.total()),
                    ComparisonTables.money(cost.perMillion()),
                    cost.predictions(),
                    cost.priceTable(),
                    cost.pricesAsOf(),
                    cost.complete() ? "" : "; unpriced, so a lower bound: " + String.join(", ", cost.unpriced()));
        }
    }

    /** The built-in price table with the node prices {@code settings} give; the built-in one alone if they are invalid. */
    static PriceTable prices(Map<String, String> settings, PrintStream out) {
        try {
            return PriceTable.builtIn().withPlanPrices(List.of(settings));
        } catch (PriceTable.PriceTableException e) {
            out.println("Platform usage not priced by the plan's node prices: " + e.getMessage());
            return PriceTable.builtIn();
        }
    }

    /**
     * The estimate the run's report carries (over the run's window, as docs/cost.md defines it), so the console says
     * what the JSON and HTML report say.
     */
    static void printCost(CostSection cost, PrintStream out) {
        out.println("\nPlatform usage over the run, priced (the report's cost section):");
        for (CostSection.Line l : cost.lines()) {
            out.printf(
                    Locale.ROOT,
                    "  %-40s %14.4f %-8s %-10s %s%n",
                    l.dimension(),
                    l.amount(),
                    l.unit(),
                    l.cost() == null ? "unpriced" : ComparisonTables.money(l.cost()),
                    l.basis());
        }
        out.printf(
                Locale.ROOT,
                "Estimated cost: %s in all, %s per million predictions (%d predictions; %s price table of %s%s)%n",
                ComparisonTables.money(cost.total()),
                cost.perMillionPredictions() == null ? "n/a" : ComparisonTables.money(cost.perMillionPredictions()),
                cost.predictions(),
                cost.priceTable(),
                cost.pricesAsOf(),
                cost.lowerBound() ? "; unpriced, so a lower bound: " + String.join(", ", cost.unpriced()) : "");
    }
}
