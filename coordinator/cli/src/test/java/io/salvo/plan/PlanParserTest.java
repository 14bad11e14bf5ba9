package io.salvo.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salvo.core.plan.PlanChecks;
import io.salvo.proto.v1.ArrivalProcess;
import io.salvo.proto.v1.RunPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanParserTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private static final String VALID = """
            name: inference
            target:
              url: http://127.0.0.1:8080/v2/models/minilm/infer
              method: post
              headers:
                Content-Type: application/json
              bodyFile: bodies.jsonl
            phases:
              - duration: 10s
                rate: 100
              - duration: 30s
                rate: {from: 10, to: 200}
              - duration: 1m
                rate: {from: 10, to: 100, steps: 4}
            arrival: poisson
            workers: 3
            interval: 500ms
            timeouts:
              request: 2s
              connect: 250ms
            maxInFlight: 64
            maxConnections: 32
            preconnect: 8
            sendAhead: 1ms
            lateSendThreshold: 2ms
            captureHeaders: [Salvo-Instance-Id, Salvo-Model-Load-Ms]
            seed: 42
            steadyState: {window: 3, minRateRatio: 0.9, maxErrorRatio: 0.01, maxP95Spread: 1.2}
            """;

    @Test
    void readsEveryFieldOfAValidPlan() throws Exception {
        write("bodies.jsonl", "{\"inputs\":[\"a\"]}\n\n{\"inputs\":[\"b\"]}\n");
        RunPlan plan = PlanParser.parse(write("plan.yaml", VALID));

        assertThat(plan.getName()).isEqualTo("inference");
        assertThat(plan.getRequest().getUrl()).isEqualTo("http://127.0.0.1:8080/v2/models/minilm/infer");
        assertThat(plan.getRequest().getMethod()).isEqualTo("POST");
        assertThat(plan.getRequest().getHeaders(0).getName()).isEqualTo("Content-Type");
        assertThat(plan.getRequest().getBodiesList())
                .extracting(b -> b.toStringUtf8())
                .containsExactly("{\"inputs\":[\"a\"]}", "{\"inputs\":[\"b\"]}");
        assertThat(plan.getPhasesCount()).isEqualTo(3);
        assertThat(plan.getPhases(0).getDurationMillis()).isEqualTo(10_000);
        assertThat(plan.getPhases(0).getStartRatePerSecond()).isEqualTo(100);
        assertThat(plan.getPhases(0).getEndRatePerSecond()).isEqualTo(100);
        assertThat(plan.getPhases(1).getStartRatePerSecond()).isEqualTo(10);
        assertThat(plan.getPhases(1).getEndRatePerSecond()).isEqualTo(200);
        assertThat(plan.getPhases(1).getSteps()).isZero();
        assertThat(plan.getPhases(2).getDurationMillis()).isEqualTo(60_000);
        assertThat(plan.getPhases(2).getSteps()).isEqualTo(4);
        assertThat(plan.getArrival()).isEqualTo(ArrivalProcess.ARRIVAL_PROCESS_POISSON);
        assertThat(plan.getWorkerCount()).isEqualTo(3);
        assertThat(plan.getIntervalMillis()).isEqualTo(500);
        assertThat(plan.getRequestTimeoutMillis()).isEqualTo(2000);
        assertThat(plan.getConnectTimeoutMillis()).isEqualTo(250);
        assertThat(plan.getMaxInFlightPerWorker()).isEqualTo(64);
        assertThat(plan.getMaxConnectionsPerWorker()).isEqualTo(32);
        assertThat(plan.getPreconnectPerWorker()).isEqualTo(8);
        assertThat(plan.hasSendAheadMicros()).isTrue();
        assertThat(plan.getSendAheadMicros()).isEqualTo(1000);
        assertThat(plan.getLateSendThresholdMicros()).isEqualTo(2000);
        assertThat(plan.getCaptureResponseHeadersList()).containsExactly("Salvo-Instance-Id", "Salvo-Model-Load-Ms");
        assertThat(plan.getSeed()).isEqualTo(42);
        assertThat(plan.getSteadyState().getWindowIntervals()).isEqualTo(3);
        assertThat(plan.getSteadyState().getMinSuccessRateRatio()).isEqualTo(0.9);
        assertThat(plan.getSteadyState().getMaxErrorRatio()).isEqualTo(0.01);
        assertThat(plan.getSteadyState().getMaxP95Spread()).isEqualTo(1.2);
    }

    @Test
    void preconnectBeyondMaxConnections() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 10
                maxConnections: 16
                preconnect: 17
                """)).isEqualTo("bad.yaml:7: preconnect: must be at most maxConnections (16), got 17");
    }

    /** A plan with one phase and nothing else; its next line is line 6. */
    private static final String ONE_PHASE = """
            target:
              url: http://localhost:9000/
            phases:
              - duration: 5s
                rate: 10
            """;

    @Test
    void sendAheadIsUnsetUnlessGivenAndZeroMeansNothingEarly() throws Exception {
        assertThat(PlanParser.parse(write("unset.yaml", ONE_PHASE)).hasSendAheadMicros())
                .as("unset: the worker's default applies")
                .isFalse();
        RunPlan none = PlanParser.parse(write("zero.yaml", ONE_PHASE + "sendAhead: 0us\n"));
        assertThat(none.hasSendAheadMicros()).isTrue();
        assertThat(none.getSendAheadMicros()).isZero();
        assertThat(PlanParser.parse(write("max.yaml", ONE_PHASE + "sendAhead: 10ms\n"))
                        .getSendAheadMicros())
                .isEqualTo(10_000);
    }

    @Test
    void sendAheadWiderThanTenMillisecondsOrWithoutUnit() throws Exception {
        assertThat(messageFor(ONE_PHASE + "sendAhead: 11ms\n"))
                .isEqualTo("bad.yaml:6: sendAhead: must be at most 10ms (a wider window changes the arrival process),"
                        + " got '11ms'");
        assertThat(messageFor(ONE_PHASE + "sendAhead: 100\n")).startsWith("bad.yaml:6: sendAhead: must be a duration");
    }

    @Test
    void steadyStateSpreadBelowOne() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 10
                steadyState:
                  maxP95Spread: 0.9
                """))
                .isEqualTo(
                        "bad.yaml:7: steadyState.maxP95Spread: must be at least 1 (it is max p95 / min p95), got 0.9");
    }

    @Test
    void appliesDefaults() throws Exception {
        RunPlan plan = PlanParser.parse(write("plan.yaml", """
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 50
                """));
        assertThat(plan.getRequest().getMethod()).isEqualTo("GET");
        assertThat(plan.getArrival()).isEqualTo(ArrivalProcess.ARRIVAL_PROCESS_CONSTANT);
        assertThat(plan.getWorkerCount()).isEqualTo(1);
        assertThat(plan.getIntervalMillis()).isEqualTo(1000);
        assertThat(plan.getRequestTimeoutMillis()).isEqualTo(PlanParser.DEFAULT_REQUEST_TIMEOUT_MILLIS);
        assertThat(plan.getCaptureResponseHeadersList()).containsExactly("Salvo-Instance-Id");
        assertThat(plan.getRequest().getBodiesCount()).isZero();
    }

    private String messageFor(String yaml) throws IOException {
        Path plan = write("bad.yaml", yaml);
        try {
            PlanParser.parse(plan);
        } catch (PlanException e) {
            return e.getMessage().replace(plan.toString(), "bad.yaml");
        }
        throw new AssertionError("plan was accepted:\n" + yaml);
    }

    @Test
    void unknownKeyIsNamedWithItsLine() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                  methd: POST
                phases:
                  - duration: 5s
                    rate: 50
                """))
                .isEqualTo(
                        "bad.yaml:3: target.methd: unknown key (expected one of bodyFile, headers, method, tls, url)");
    }

    @Test
    void unknownTopLevelKey() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 50
                wrokers: 3
                """))
                .startsWith("bad.yaml:6: wrokers: unknown key (expected one of arrival, captureHeaders,");
    }

    @Test
    void negativeRate() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: -5
                """))
                .isEqualTo("bad.yaml:5: phases[0].rate: must be greater than 0 requests per second, got -5");
    }

    @Test
    void zeroRate() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 10
                  - duration: 5s
                    rate: 0
                """))
                .isEqualTo("bad.yaml:7: phases[1].rate: must be greater than 0 requests per second, got 0");
    }

    @Test
    void negativeRampEnd() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: {from: 10, to: -1}
                """)).isEqualTo("bad.yaml:5: phases[0].rate.to: must not be negative, got -1");
    }

    @Test
    void zeroDuration() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 0s
                    rate: 10
                """)).isEqualTo("bad.yaml:4: phases[0].duration: must be at least 1ms, got '0s'");
    }

    @Test
    void aPlanLongerThanTheCoordinatorKeepsIsRefusedBeforeAnythingRuns() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                interval: 10ms
                phases:
                  - duration: 168h
                    rate: 10
                  - duration: 168h
                    rate: 10
                """))
                .isEqualTo(
                        "bad.yaml:4: phases: the phases last 1209600 s, 120,963,000 "
                                + "intervals of 10 ms; a run has at most 10,000,000 intervals: shorten the phases or lengthen interval");
    }

    @Test
    void durationWithoutUnit() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 10
                    rate: 10
                """))
                .isEqualTo(
                        "bad.yaml:4: phases[0].duration: must be a duration with a unit such as 500ms, 10s, 2m or 1h, got '10'");
    }

    @Test
    void malformedUrl() throws Exception {
        assertThat(messageFor("""
                target:
                  url: "http//localhost:9000/"
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .isEqualTo(
                        "bad.yaml:2: target.url: malformed URL 'http//localhost:9000/': must start with http:// or https://");
        assertThat(messageFor("""
                target:
                  url: "http://local host:9000/"
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .startsWith(
                        "bad.yaml:2: target.url: malformed URL 'http://local host:9000/': Illegal character in authority");
    }

    @Test
    void missingBodyFile() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                  bodyFile: nowhere.jsonl
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .isEqualTo("bad.yaml:3: target.bodyFile: body file not found: " + dir.resolve("nowhere.jsonl"));
    }

    @Test
    void bodyFileLineThatIsNotJsonIsNamedByItsOwnLine() throws Exception {
        Path bodies = write("bodies.jsonl", "{\"a\":1}\n{not json\n");
        String message = messageFor("""
                target:
                  url: http://localhost:9000/
                  bodyFile: bodies.jsonl
                phases:
                  - duration: 5s
                    rate: 10
                """);
        assertThat(message).startsWith(bodies + ":2: target.bodyFile: line is not valid JSON:");
    }

    /** A PEM certificate made with the JDK's keytool. */
    private Path certificatePem() throws Exception {
        String keytool =
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path store = dir.resolve("ca.p12");
        Path pem = dir.resolve("ca.pem");
        for (String[] command : new String[][] {
            {
                keytool,
                "-genkeypair",
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-dname",
                "CN=test-ca",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "test-only"
            },
            {
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "ca",
                "-keystore",
                store.toString(),
                "-storepass",
                "test-only",
                "-file",
                pem.toString()
            }
        }) {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            assertThat(process.waitFor()).isZero();
        }
        return pem;
    }

    @Test
    void tlsCaFileTravelsInTheRequest() throws Exception {
        Path pem = certificatePem();
        RunPlan plan = PlanParser.parse(write("plan.yaml", """
                target:
                  url: https://model.internal/v2/models/m/infer
                  tls:
                    caFile: ca.pem
                phases:
                  - duration: 5s
                    rate: 10
                """));
        assertThat(plan.getRequest().getTrustedCaCertificatesPem().toByteArray())
                .isEqualTo(Files.readAllBytes(pem));
        // ...and the coordinator, which checks it again for clients other than this CLI, accepts it.
        assertThat(PlanChecks.problem(plan)).isNull();
    }

    @Test
    void tlsProblemsAreNamed() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://model.internal/
                  tls: {caFile: ca.pem}
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .isEqualTo(
                        "bad.yaml:3: target.tls: applies to https:// URLs only, and the URL is http://model.internal/");
        assertThat(messageFor("""
                target:
                  url: https://model.internal/
                  tls:
                    caFile: absent.pem
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .isEqualTo(
                        "bad.yaml:4: target.tls.caFile: CA certificate file not found: " + dir.resolve("absent.pem"));
        write("junk.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        assertThat(messageFor("""
                target:
                  url: https://model.internal/
                  tls:
                    caFile: junk.pem
                phases:
                  - duration: 5s
                    rate: 10
                """))
                .startsWith("bad.yaml:4: target.tls.caFile: " + dir.resolve("junk.pem")
                        + " is not a PEM certificate file:");
        assertThat(messageFor("""
                target:
                  url: https://model.internal/
                  tls:
                    caFiles: ca.pem
                phases:
                  - duration: 5s
                    rate: 10
                """)).isEqualTo("bad.yaml:4: target.tls.caFiles: unknown key (expected one of caFile)");
    }

    @Test
    void unreadableYaml() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                     rate: 10
                """)).startsWith("bad.yaml:5: not readable as YAML: mapping values are not allowed here");
    }

    @Test
    void missingTargetAndEmptyPlan() throws Exception {
        assertThat(messageFor("""
                phases:
                  - duration: 5s
                    rate: 10
                """)).isEqualTo("bad.yaml:1: target: missing required key");
        assertThat(messageFor("")).isEqualTo("bad.yaml:1: the plan is empty");
    }

    @Test
    void duplicateKey() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 10
                workers: 2
                workers: 3
                """)).contains("bad.yaml:7").contains("workers").contains("duplicate");
    }

    @Test
    void missingPlanFile() {
        assertThatThrownBy(() -> PlanParser.parse(dir.resolve("absent.yaml")))
                .isInstanceOf(PlanException.class)
                .hasMessage(dir.resolve("absent.yaml") + ": plan file not found");
    }

    @Test
    void workersMustBePositive() throws Exception {
        assertThat(messageFor("""
                target:
                  url: http://localhost:9000/
                phases:
                  - duration: 5s
                    rate: 10
                workers: 0
                """)).isEqualTo("bad.yaml:6: workers: must be between 1 and 10000, got 0");
    }

    private static final String TARGET = """
            target:
              url: http://localhost:9000/
            """;

    @Test
    void regionsByWeightTakeOneWorkerEachUnlessToldMore() throws Exception {
        RunPlan plan = PlanParser.parse(write("regions.yaml", TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions: {us-east1: 2, europe-west1: 1}
                """));
        assertThat(plan.getRegionsList())
                .extracting(
                        r -> r.getRegion() + "=" + r.getWeight() + "/" + r.getRatePerSecond() + "/" + r.getWorkers())
                .containsExactly("us-east1=2.0/0.0/0", "europe-west1=1.0/0.0/0");
        assertThat(plan.getWorkerCount()).isEqualTo(2);
        assertThat(PlanChecks.problem(plan)).isNull();

        RunPlan six = PlanParser.parse(write("six.yaml", TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                workers: 6
                regions:
                  us-east1: {weight: 2, workers: 4}
                  europe-west1: 1
                """));
        assertThat(six.getWorkerCount()).isEqualTo(6);
        assertThat(six.getRegions(0).getWorkers()).isEqualTo(4);
        assertThat(PlanChecks.problem(six)).isNull();
    }

    @Test
    void regionsWithTheirOwnRatesSetThePhasesRate() throws Exception {
        RunPlan plan = PlanParser.parse(write("rates.yaml", TARGET + """
                phases:
                  - duration: 10s
                  - duration: 20s
                regions:
                  us-east1: {rate: 200, workers: 2}
                  europe-west1: {rate: 50.5, workers: 1}
                """));
        assertThat(plan.getPhasesList())
                .allSatisfy(p -> assertThat(p.getStartRatePerSecond()).isEqualTo(250.5));
        assertThat(plan.getRegions(1).getWeight()).isEqualTo(50.5);
        assertThat(plan.getRegions(1).getRatePerSecond()).isEqualTo(50.5);
        assertThat(plan.getWorkerCount()).isEqualTo(3);
        assertThat(PlanChecks.problem(plan)).isNull();
    }

    @Test
    void regionProblemsAreNamedWithTheirLineAndField() throws Exception {
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions:
                  us-east1: 2
                  europe-west1: 0
                """))
                .isEqualTo("bad.yaml:8: regions.europe-west1: must be greater than 0, got 0");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions:
                  us-east1: 2
                  europe-west1: {rate: 100}
                """))
                .isEqualTo("bad.yaml:8: regions.europe-west1: every region has a weight or every region has a rate; "
                        + "the regions before give weights");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions:
                  us-east1: {weight: 2, rate: 100}
                """))
                .isEqualTo("bad.yaml:7: regions.us-east1: give the region a weight or a rate (requests per second)");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions:
                  us-east1: {wieght: 2}
                """))
                .isEqualTo("bad.yaml:7: regions.us-east1.wieght: unknown key (expected one of rate, weight, workers)");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions:
                  us east: 1
                """))
                .startsWith("bad.yaml:7: regions.us east: a region is a worker's --region label");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions: [us-east1, europe-west1]
                """))
                .startsWith("bad.yaml:6: regions: must be a mapping of region to weight or rate");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                workers: 1
                regions: {us-east1: 2, europe-west1: 1}
                """))
                .isEqualTo("bad.yaml:6: workers: the regions need at least 2 workers (one per region, or the "
                        + "region's own workers), got 1");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                workers: 5
                regions: {us-east1: {weight: 1, workers: 2}, europe-west1: {weight: 1, workers: 2}}
                """))
                .isEqualTo("bad.yaml:6: workers: every region fixes its workers, 4 in all; leave workers out or make "
                        + "it 4, got 5");
        assertThat(messageFor(TARGET + """
                phases:
                  - duration: 10s
                    rate: 300
                regions: {us-east1: {rate: 100}, europe-west1: {rate: 50}}
                """))
                .isEqualTo("bad.yaml:5: phases[0].rate: the regions give their own rates (150/s in all); leave rate "
                        + "out of the phases, or give the regions weights");
    }
}
