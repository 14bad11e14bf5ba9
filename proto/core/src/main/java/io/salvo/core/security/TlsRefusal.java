package io.salvo.core.security;

import java.security.cert.CertificateException;

/**
 * What a failed TLS handshake says about the coordinator's certificate. gRPC reports such a failure as a bare
 * "io exception" (and a dump of the channel pipeline); the reason is only in the cause chain, and users need it
 * together with the option that fixes it.
 */
public final class TlsRefusal {

    private TlsRefusal() {}

    /** One sentence naming why the certificate was refused and which option fixes it; null when none was refused. */
    public static String describe(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateException) {
                String reason = String.valueOf(cause.getMessage());
                if (reason.startsWith("No subject alternative") || reason.startsWith("No name matching")) {
                    return "TLS: the coordinator's certificate does not carry the name checked: " + reason
                            + " Give a name it carries with --tls-server-name.";
                }
                return "TLS: the coordinator's certificate was refused: " + reason
                        + " Is it signed by the CA given with --tls-ca?";
            }
        }
        return null;
    }
}
