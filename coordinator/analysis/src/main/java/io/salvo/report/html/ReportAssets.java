package io.salvo.report.html;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Properties;

/**
 * The page's static parts, read from the class path: uPlot's script and style from its WebJar (bundled at build
 * time, never fetched at run time) and Salvo's own page template, script and style.
 */
public final class ReportAssets {

    private static final String UPLOT_POM = "/META-INF/maven/org.webjars.npm/uplot/pom.properties";
    private static final String OWN = "/io/salvo/report/html/";

    private final String uplotVersion;
    private final String uplotJs;
    private final String uplotCss;
    private final String reportJs;
    private final String reportCss;
    private final String template;

    private ReportAssets() {
        uplotVersion = readUplotVersion();
        String dist = "/META-INF/resources/webjars/uplot/" + uplotVersion + "/dist/";
        uplotJs = inlineable(read(dist + "uPlot.iife.min.js"), "script");
        uplotCss = inlineable(read(dist + "uPlot.min.css"), "style");
        reportJs = inlineable(read(OWN + "report.js"), "script");
        reportCss = inlineable(read(OWN + "report.css"), "style");
        template = read(OWN + "report.html");
    }

    private static final class Holder {
        static final ReportAssets INSTANCE = new ReportAssets();
    }

    /** Read once per JVM: the assets never change while it runs. */
    public static ReportAssets get() {
        return Holder.INSTANCE;
    }

    public String uplotVersion() {
        return uplotVersion;
    }

    public String uplotJs() {
        return uplotJs;
    }

    public String uplotCss() {
        return uplotCss;
    }

    public String reportJs() {
        return reportJs;
    }

    public String reportCss() {
        return reportCss;
    }

    String template() {
        return template;
    }

    private static String readUplotVersion() {
        try (InputStream in = ReportAssets.class.getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("uPlot's WebJar is not on the class path (" + UPLOT_POM + ")");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(String resource) {
        try (InputStream in = ReportAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " (a broken build?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Text that would close its own element early cannot be inlined; a new library version might hold some. */
    private static String inlineable(String content, String element) {
        if (content.toLowerCase(Locale.ROOT).contains("</" + element)) {
            throw new IllegalStateException("an asset contains </" + element + " and cannot be inlined");
        }
        return content;
    }
}
