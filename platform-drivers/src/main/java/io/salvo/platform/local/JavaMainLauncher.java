package io.salvo.platform.local;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Launches a Java main class under {@link ParentWatch}, in one JVM per instance:
 * {@code java <jvm args> -XX:MaxRAM=<mem>m -XX:ActiveProcessorCount=<cpus> -cp <ParentWatch>:<classpath>
 * ParentWatch <main class>}. The resource flags make the JVM size its heap and thread pools as the
 * instance's limits say; they do not cap native memory (a container would).
 */
public final class JavaMainLauncher implements InstanceLauncher {

    /** Added to an instance's niceness: its threads yield to this JVM's and the worker's (niceness 0) when both run. */
    static final int INSTANCE_NICENESS = 10;
    /** POSIX {@code nice}, which execs the command (same pid, same pipes); null where there is none (Windows). */
    private static final Path NICE = Stream.of("/usr/bin/nice", "/bin/nice")
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);

    private final Path javaBinary;
    private final List<Path> classpath;
    private final String mainClass;
    private final List<String> jvmArgs;
    private final List<String> problems;

    public JavaMainLauncher(Path javaBinary, List<Path> classpath, String mainClass, List<String> jvmArgs) {
        this(javaBinary, classpath, mainClass, jvmArgs, List.of());
    }

    private JavaMainLauncher(
            Path javaBinary, List<Path> classpath, String mainClass, List<String> jvmArgs, List<String> problems) {
        this.javaBinary = javaBinary;
        this.classpath = List.copyOf(classpath);
        this.mainClass = mainClass;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.problems = List.copyOf(problems);
    }

    /**
     * The model-server jar ({@code java -jar} style: its manifest names the main class and its
     * {@code lib/} class path). A missing or unreadable jar is reported by {@link #problems()}, not thrown,
     * so validation can list it with the other violations.
     */
    public static JavaMainLauncher forJar(Path jar, List<String> jvmArgs) {
        String main = null;
        List<String> problems = new ArrayList<>();
        if (!Files.isRegularFile(jar)) {
            problems.add("model-server jar " + jar.toAbsolutePath()
                    + " does not exist (build it with mvn -pl model-server package," + " or set model-server-jar)");
        } else {
            try (JarFile file = new JarFile(jar.toFile())) {
                main = file.getManifest() == null
                        ? null
                        : file.getManifest().getMainAttributes().getValue("Main-Class");
                if (main == null) {
                    problems.add(jar + " has no Main-Class in its manifest");
                }
            } catch (IOException e) {
                problems.add(jar + " cannot be read: " + e.getMessage());
            }
        }
        return new JavaMainLauncher(currentJava(), List.of(jar), main, jvmArgs, problems);
    }

    /** The java binary running this JVM, so instances use the same runtime. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** Where {@link ParentWatch} is loaded from (this module's jar or classes directory). */
    static Path parentWatchLocation() {
        try {
            return Path.of(ParentWatch.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the platform-drivers classes", e);
        }
    }

    @Override
    public List<String> problems() {
        return problems;
    }

    @Override
    public ProcessBuilder processFor(Launch launch) {
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        List<String> command = new ArrayList<>();
        if (NICE != null) {
            // Instances are the system under test and would run on their own machines; here they share 2 cores with
            // the router and the load generator, whose timestamps are the measurement. A lower priority lets those
            // preempt an instance's JIT and start-up threads at once; instances still get every idle cycle.
            command.addAll(List.of(NICE.toString(), "-n", Integer.toString(INSTANCE_NICENESS)));
        }
        command.add(javaBinary.toString());
        command.addAll(jvmArgs);
        command.add("-XX:MaxRAM=" + launch.memoryMb() + "m");
        command.add("-XX:ActiveProcessorCount=" + Math.max(1, (int) Math.ceil(launch.cpus())));
        command.add("-cp");
        List<String> entries = new ArrayList<>();
        entries.add(parentWatchLocation().toString());
        classpath.forEach(p -> entries.add(p.toString()));
        command.add(String.join(File.pathSeparator, entries));
        command.add(ParentWatch.class.getName());
        command.add(mainClass);
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        env.putAll(launch.env());
        env.put("PORT", Integer.toString(launch.port()));
        env.put("SALVO_MODEL", launch.model());
        if (launch.modelDir() != null) {
            env.put("SALVO_MODEL_DIR", launch.modelDir().toString());
        }
        // the router is the only client: instances stay on loopback whatever the environment suggests
        env.put("SALVO_BIND", "127.0.0.1");
        return builder;
    }
}
