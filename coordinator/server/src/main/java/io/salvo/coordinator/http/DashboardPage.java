package io.salvo.coordinator.http;

import io.salvo.report.html.ReportAssets;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The dashboard's static files, from the jar: its page, script and style, and what it shares with the offline HTML
 * report (uPlot from its WebJar, and the report's chart script and style, so both draw a run the same way). Nothing
 * comes from a CDN: the page works without any network beyond its coordinator.
 */
final class DashboardPage {

    private static final String OWN = "/io/salvo/coordinator/http/";

    /** Asset name (as served under /assets/) to content type and content. */
    final Map<String, Asset> assets;

    final String html;

    record Asset(String contentType, String content) {}

    private DashboardPage() {
        ReportAssets report = ReportAssets.get();
        String js = "application/javascript; charset=utf-8";
        String css = "text/css; charset=utf-8";
        html = read("dashboard.html").replace("{{uplot-version}}", report.uplotVersion());
        assets = Map.of(
                "uplot.js", new Asset(js, report.uplotJs()),
                "uplot.css", new Asset(css, report.uplotCss()),
                "report.js", new Asset(js, report.reportJs()),
                "report.css", new Asset(css, report.reportCss()),
                "dashboard.js", new Asset(js, read("dashboard.js")),
                "dashboard.css", new Asset(css, read("dashboard.css")));
    }

    private static final class Holder {
        static final DashboardPage INSTANCE = new DashboardPage();
    }

    static DashboardPage get() {
        return Holder.INSTANCE;
    }

    private static String read(String name) {
        try (InputStream in = DashboardPage.class.getResourceAsStream(OWN + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + OWN + name + " (a broken build?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
