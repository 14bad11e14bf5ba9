package io.salvo.cli;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Parses "host:port", "[v6]:port" and comma-separated lists of them, with messages for users. */
final class HostPort {

    private HostPort() {}

    static InetSocketAddress parse(String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': port is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + text + "': port must be 1..65535");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    static List<InetSocketAddress> parseList(String text) {
        List<InetSocketAddress> result = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            if (!part.isBlank()) {
                result.add(parse(part));
            }
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("no coordinator address given");
        }
        return result;
    }

    static String format(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
