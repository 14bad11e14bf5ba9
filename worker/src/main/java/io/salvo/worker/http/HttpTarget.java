package io.salvo.worker.http;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Locale;

/**
 * Where the requests go, from the plan's absolute URL: the connection's host, port and whether it
 * speaks TLS, and what goes on the request line and in the Host header.
 *
 * @param host          host name or IP literal (without brackets), for resolution and TLS SNI
 * @param port          TCP port (the scheme's default when the URL has none)
 * @param tls           true for https
 * @param requestTarget origin-form request target: the raw path (or "/") and the raw query
 * @param hostHeader    value of the Host header: the host, bracketed for IPv6, with a non-default port
 */
public record HttpTarget(String host, int port, boolean tls, String requestTarget, String hostHeader) {

    /** Parses an absolute http:// or https:// URL; the message names what is wrong. */
    public static HttpTarget of(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("request URL is malformed: " + url + " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("request URL must be absolute http:// or https://, was " + url);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("request URL has no host: " + url);
        }
        boolean tls = scheme.equals("https");
        int defaultPort = tls ? 443 : 80;
        int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        String bareHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String requestTarget = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        String hostHeader = (bareHost.indexOf(':') >= 0 ? "[" + bareHost + "]" : bareHost)
                + (port == defaultPort ? "" : ":" + port);
        return new HttpTarget(bareHost, port, tls, requestTarget, hostHeader);
    }

    /** An unresolved address: the connection resolves it when it connects, so DNS changes during a run are followed. */
    public InetSocketAddress unresolvedAddress() {
        return InetSocketAddress.createUnresolved(host, port);
    }
}
