package io.salvo.core.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The shared secret that lets a worker join a cluster and a client start or stop runs. It travels
 * as a bearer token in gRPC metadata and is never printed: {@link #toString()} is redacted.
 */
public final class ClusterToken {

    /** Environment variable read when no token file is given. */
    public static final String ENVIRONMENT_VARIABLE = "SALVO_TOKEN";

    private final byte[] value;

    private ClusterToken(String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("the cluster token is empty");
        }
        if (value.length() > 4096) {
            throw new IllegalArgumentException("the cluster token is longer than 4096 characters");
        }
        this.value = value.getBytes(StandardCharsets.UTF_8);
    }

    public static ClusterToken of(String value) {
        return new ClusterToken(value.strip());
    }

    /** 256 random bits, URL-safe base64. */
    public static ClusterToken generate() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return new ClusterToken(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /** Reads the first line of a token file. */
    public static ClusterToken read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        int newline = text.indexOf('\n');
        try {
            return new ClusterToken(
                    newline < 0 ? text : text.substring(0, newline).strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    /** The token from {@code file} if given, else from $SALVO_TOKEN, else null. */
    public static ClusterToken fromFileOrEnvironment(Path file) throws IOException {
        if (file != null) {
            return read(file);
        }
        String env = System.getenv(ENVIRONMENT_VARIABLE);
        return env == null || env.isBlank() ? null : of(env);
    }

    /** Writes the token to a new file readable only by its owner (where the file system allows). */
    public void writeTo(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the file inherits the folder's ACL.
        }
        Files.write(tmp, value);
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The token's text, for the Authorization header and for handing to child processes. */
    public String reveal() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** Constant-time comparison, so response timing does not leak how much of a guess was right. */
    public boolean matches(String candidate) {
        if (candidate == null) {
            return false;
        }
        return MessageDigest.isEqual(value, candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ClusterToken[redacted]";
    }
}
