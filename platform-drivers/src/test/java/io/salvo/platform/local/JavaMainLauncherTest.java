package io.salvo.platform.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.testkit.Prerequisite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JavaMainLauncherTest {

    @Test
    void instancesRunAtALowerPriorityThanTheRouterAndTheLoadGenerator() {
        Prerequisite.require(
                Files.isExecutable(Path.of("/usr/bin/nice")) || Files.isExecutable(Path.of("/bin/nice")),
                "no POSIX nice on this system");
        JavaMainLauncher launcher =
                new JavaMainLauncher(JavaMainLauncher.currentJava(), List.of(), "some.Main", List.of());
        List<String> command = launcher.processFor(
                        new InstanceLauncher.Launch("local-1", 12345, "m", null, 1, 256, Map.of()))
                .command();
        assertThat(command.get(0)).endsWith("nice");
        assertThat(command.subList(1, 4))
                .containsExactly(
                        "-n",
                        Integer.toString(JavaMainLauncher.INSTANCE_NICENESS),
                        JavaMainLauncher.currentJava().toString());
    }
}
