package io.salvo.platform.lambda;

import io.salvo.testkit.Await;
import io.salvo.testkit.Prerequisite;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * moto_server (a third-party emulator of AWS APIs, from the machine's Python) on a free loopback port, for tests of
 * the driver through the real SDK HTTP path. Missing moto_server skips the test on a developer machine and fails it
 * under CI ({@link Prerequisite}).
 */
final class MotoServer implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final URI endpoint;

    private MotoServer(Process process, Path log, URI endpoint) {
        this.process = process;
        this.log = log;
        this.endpoint = endpoint;
    }

    /** Starts moto_server and waits until it answers; Lambda invocations run without Docker. */
    static MotoServer start() throws IOException {
        Optional<Path> binary = find();
        Prerequisite.require(
                binary.isPresent(),
                "moto_server (Python moto 5) is not on the PATH nor in ~/.pyenv/shims; the aws-lambda driver's"
                        + " moto tests need it");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path log = Files.createTempFile("salvo-moto-", ".log");
        Process process = new ProcessBuilder(binary.get().toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        MotoServer moto = new MotoServer(process, log, URI.create("http://127.0.0.1:" + port));
        try {
            Await.until("moto_server answers on port " + port, Duration.ofSeconds(90), () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("moto_server exited: " + moto.output());
                }
                int status = moto.post("/moto-api/config", "{\"lambda\":{\"use_docker\":false}}");
                return status >= 200 && status < 300;
            });
        } catch (RuntimeException | AssertionError e) {
            moto.close();
            throw e;
        }
        return moto;
    }

    URI endpoint() {
        return endpoint;
    }

    private int post(String path, String json) {
        try {
            HttpURLConnection connection =
                    (HttpURLConnection) endpoint.resolve(path).toURL().openConnection();
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(5000);
            connection.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = connection.getOutputStream()) {
                out.write(json.getBytes(StandardCharsets.UTF_8));
            }
            int status = connection.getResponseCode();
            connection.getInputStream().close();
            return status;
        } catch (IOException e) {
            return -1;
        }
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static Optional<Path> find() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator, -1)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, "moto_server");
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        Path shim = Path.of(System.getProperty("user.home"), ".pyenv", "shims", "moto_server");
        return Files.isExecutable(shim) ? Optional.of(shim) : Optional.empty();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a temporary file left behind
        }
    }
}
