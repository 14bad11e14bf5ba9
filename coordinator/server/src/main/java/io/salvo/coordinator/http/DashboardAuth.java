package io.salvo.coordinator.http;

import io.salvo.core.security.ClusterToken;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Who may use the dashboard's API. Reading (GET) is open on a loopback address and otherwise needs the cluster token
 * or the viewer token; changing anything (stopping a run) always needs the cluster token, in the header.
 *
 * <p>The token travels as {@code Authorization: Bearer}. A GET may carry it as the {@code token} query parameter
 * instead, because a browser's EventSource cannot set headers, and a cookie would bind the session to one origin: the
 * page could not follow its run to another coordinator after a fail-over without logging in there first. Writes never
 * accept the query form, so a link cannot stop a run. Tokens are compared in constant time and never logged.
 */
final class DashboardAuth implements Handler<RoutingContext> {

    private static final Logger LOG = Logger.getLogger(DashboardAuth.class.getName());
    static final String QUERY_PARAMETER = "token";

    private final boolean openForReading;
    private final ClusterToken clusterToken;
    private final ClusterToken viewerToken;
    private final AtomicLong refused = new AtomicLong();

    DashboardAuth(boolean openForReading, ClusterToken clusterToken, ClusterToken viewerToken) {
        this.openForReading = openForReading;
        this.clusterToken = clusterToken;
        this.viewerToken = viewerToken;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpMethod method = ctx.request().method();
        if (HttpMethod.OPTIONS.equals(method)) {
            ctx.next(); // CORS preflights carry no credentials by design; the CORS handler answers them
            return;
        }
        boolean read = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
        String presented = bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        if (presented == null && read) {
            presented = ctx.request().getParam(QUERY_PARAMETER);
        }
        if (read) {
            if (openForReading
                    || clusterToken.matches(presented)
                    || (viewerToken != null && viewerToken.matches(presented))) {
                ctx.next();
                return;
            }
        } else if (clusterToken.matches(presented)) {
            ctx.next();
            return;
        }
        refused.incrementAndGet();
        boolean missing = presented == null || presented.isEmpty();
        LOG.info(() -> "dashboard: refused " + method + " " + ctx.request().path() + " from "
                + ctx.request().remoteAddress() + (missing ? " (no token)" : " (token not accepted)"));
        boolean viewerTriedToWrite = !read && viewerToken != null && viewerToken.matches(presented);
        int status = viewerTriedToWrite ? 403 : 401;
        String message = viewerTriedToWrite
                ? "the viewer token is read-only; this needs the cluster token"
                : missing ? "missing token" : read ? "wrong token" : "this needs the cluster token";
        if (status == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"salvo\"");
        }
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", message).encode());
    }

    long refused() {
        return refused.get();
    }

    private static String bearer(String header) {
        if (header == null) {
            return null;
        }
        String prefix = "Bearer ";
        return header.regionMatches(true, 0, prefix, 0, prefix.length())
                ? header.substring(prefix.length()).trim()
                : null;
    }
}
