package io.salvo.core.security;

import java.util.regex.Pattern;

/** The names a TLS client may check a coordinator's certificate against: DNS names, as certificates carry them. */
public final class ServerNames {

    private static final Pattern DNS_NAME =
            Pattern.compile("(?i)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");

    private ServerNames() {}

    /** Whether {@code name} is a DNS name of at most 253 characters, each label at most 63. */
    public static boolean isDnsName(String name) {
        return name != null && name.length() <= 253 && DNS_NAME.matcher(name).matches();
    }
}
