package io.salvo.report.html;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salvo.report.RunReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a run report, or several side by side, as one HTML file that opens offline: the report itself as a JSON
 * block, uPlot and Salvo's page script inlined. The page draws everything from that JSON, so its figures are the
 * JSON report's figures.
 */
public final class HtmlReport {

    /** One run on a page: a label (the run's name, or its place in a matrix) and its report. */
    public record LabelledRun(
            @JsonProperty("label") String label,
            @JsonProperty("report") RunReport report) {}

    /** What the page script reads: {@code {"title", "runs": [{"label", "report"}]}}. */
    record PageData(
            @JsonProperty("title") String title,
            @JsonProperty("runs") List<LabelledRun> runs) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z-]+)}}");

    private HtmlReport() {}

    /** The HTML file beside a JSON report: {@code RUN.json} gives {@code RUN.html}. */
    public static Path besideJson(Path json) {
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return json.resolveSibling(stem + ".html");
    }

    /** The page of one run. */
    public static String render(RunReport report) {
        String name = report.run().name() == null || report.run().name().isEmpty()
                ? report.run().id()
                : report.run().name();
        return page("Salvo run " + name, List.of(new LabelledRun(name, report)));
    }

    /** Several runs side by side: headline figures in columns, distributions and series overlaid. */
    public static String renderComparison(String title, List<LabelledRun> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("nothing to compare");
        }
        return page(title, runs);
    }

    public static void write(RunReport report, Path path) throws IOException {
        writeAtomically(render(report), path);
    }

    /** Writes {@code RUN.html} beside {@code RUN.json} and returns its path. */
    public static Path writeBesideJson(RunReport report, Path json) throws IOException {
        Path html = besideJson(json);
        write(report, html);
        return html;
    }

    public static void writeComparison(String title, List<LabelledRun> runs, Path path) throws IOException {
        writeAtomically(renderComparison(title, runs), path);
    }

    private static void writeAtomically(String html, Path path) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String page(String title, List<LabelledRun> runs) {
        ReportAssets assets = ReportAssets.get();
        String data = scriptSafeJson(new PageData(title, runs));
        Matcher m = PLACEHOLDER.matcher(assets.template());
        StringBuilder out =
                new StringBuilder(assets.uplotJs().length() + assets.reportJs().length() + data.length() + 8192);
        while (m.find()) {
            String value = switch (m.group(1)) {
                case "title" -> escapeHtml(title);
                case "uplot-version" -> escapeHtml(assets.uplotVersion());
                case "uplot-css" -> assets.uplotCss();
                case "report-css" -> assets.reportCss();
                case "uplot-js" -> assets.uplotJs();
                case "report-js" -> assets.reportJs();
                case "data" -> data;
                default -> throw new IllegalStateException("unknown placeholder " + m.group());
            };
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * JSON inside a script element: a {@code <} only ever occurs inside a JSON string, where its JSON escape (backslash, u003c)
     * means the same, so no value (a run name, a header value) can close the element or open a comment.
     */
    static String scriptSafeJson(Object value) {
        try {
            return JSON.writeValueAsString(value).replace("<", "\\u003c");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report that cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    static String escapeHtml(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
