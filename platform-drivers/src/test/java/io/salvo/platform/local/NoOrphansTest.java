package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.testkit.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Instances must not survive the JVM that started them, however it ends. */
class NoOrphansTest {

    @Test
    void instancesDieWhenTheParentIsKilledWithSigkill() throws Exception {
        Process scenario = startScenario();
        List<Long> pids = instancePids(scenario);
        scenario.destroyForcibly(); // SIGKILL: no shutdown hook runs, only ParentWatch can save the day
        assertThat(scenario.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertAllGone(pids);
    }

    @Test
    void instancesDieOnCtrlC() throws Exception {
        Process scenario = startScenario();
        List<Long> pids = instancePids(scenario);
        new ProcessBuilder("kill", "-INT", Long.toString(scenario.pid()))
                .inheritIO()
                .start()
                .waitFor();
        assertThat(scenario.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertAllGone(pids);
    }

    private static Process startScenario() throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder(
                        JavaMainLauncher.currentJava().toString(),
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        classpath,
                        OrphanScenario.class.getName())
                .redirectErrorStream(true)
                .start();
    }

    private static List<Long> instancePids(Process scenario) throws Exception {
        BufferedReader lines =
                new BufferedReader(new InputStreamReader(scenario.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> pidLine = CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder seen = new StringBuilder();
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("INSTANCE_PIDS")) {
                        return line;
                    }
                    seen.append(line).append('\n');
                }
                throw new IllegalStateException("scenario ended without printing its instances:\n" + seen);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        String line;
        try {
            line = pidLine.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            scenario.destroyForcibly();
            throw e;
        }
        // keep draining so the scenario never blocks on a full pipe; a thread of its own, because the read blocks
        // until the scenario dies and would otherwise hold a common-pool thread that long
        Thread drain = new Thread(
                () -> {
                    try {
                        while (lines.readLine() != null) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // the scenario died; that is the point
                    }
                },
                "scenario-drain");
        drain.setDaemon(true);
        drain.start();
        List<Long> pids = Arrays.stream(
                        line.substring("INSTANCE_PIDS".length()).trim().split("\\s+"))
                .map(Long::parseLong)
                .toList();
        assertThat(pids).hasSize(2);
        assertThat(pids).allSatisfy(pid -> assertThat(alive(pid)).isTrue());
        return pids;
    }

    private static void assertAllGone(List<Long> pids) {
        Await.until(
                "instance processes " + pids + " gone after their parent died",
                Duration.ofSeconds(15),
                () -> pids.stream().noneMatch(NoOrphansTest::alive));
    }

    /** Running, not a zombie: an exited child of a dead parent may wait a while for init to reap it. */
    private static boolean alive(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String content = Files.readString(stat);
            char state = content.charAt(content.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
