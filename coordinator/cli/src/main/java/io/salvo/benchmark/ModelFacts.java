package io.salvo.benchmark;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Size facts of one model as the model-server's own catalogue states them, for the model-size table.
 *
 * @param name        model name ({@code SALVO_MODEL})
 * @param fileBytes   prepared files on disk, bytes
 * @param parameters  parameter count from the description, or -1 when it does not give one
 * @param description the catalogue's one-line description
 */
public record ModelFacts(
        @JsonProperty("name") String name,
        @JsonProperty("file_bytes") long fileBytes,
        @JsonProperty("parameters") long parameters,
        @JsonProperty("description") String description) {

    // "minilm   prepared 91,099,267 bytes all-MiniLM-L6-v2 ... (pretrained, 22.7 M parameters, ...)"
    private static final Pattern LIST_LINE = Pattern.compile("^(\\S+)\\s+prepared\\s+([0-9,]+) bytes\\s+(.*)$");
    private static final Pattern EXACT_PARAMETERS = Pattern.compile("([0-9][0-9,]{3,}) parameters");
    private static final Pattern MILLION_PARAMETERS = Pattern.compile("([0-9.]+) M parameters");

    /**
     * Prepares the models (the model-server caches them, so a second call costs only a check) and reads their
     * facts from {@code models list}, running the model-server jar as a child process.
     */
    public static Map<String, ModelFacts> prepare(Path modelServerJar, Path modelDir, List<String> models)
            throws BenchmarkException {
        for (String model : models) {
            run(modelServerJar, modelDir, List.of("models", "prepare", model));
        }
        Map<String, ModelFacts> facts = new LinkedHashMap<>();
        for (String line :
                run(modelServerJar, modelDir, List.of("models", "list")).split("\n", -1)) {
            ModelFacts parsed = parseListLine(line.strip());
            if (parsed != null && models.contains(parsed.name())) {
                facts.put(parsed.name(), parsed);
            }
        }
        for (String model : models) {
            if (!facts.containsKey(model)) {
                throw new BenchmarkException("the model-server did not list model '" + model + "' as prepared");
            }
        }
        return facts;
    }

    /** A model whose files Salvo did not prepare here (it runs only on remote platforms): sizes unknown. */
    public static ModelFacts unknown(String name) {
        return new ModelFacts(name, -1, -1, "not prepared on this machine: sizes unknown");
    }

    static ModelFacts parseListLine(String line) {
        Matcher m = LIST_LINE.matcher(line);
        if (!m.matches()) {
            return null;
        }
        String description = m.group(3).strip();
        return new ModelFacts(
                m.group(1), Long.parseLong(m.group(2).replace(",", "")), parameters(description), description);
    }

    static long parameters(String description) {
        Matcher exact = EXACT_PARAMETERS.matcher(description);
        if (exact.find()) {
            return Long.parseLong(exact.group(1).replace(",", ""));
        }
        Matcher millions = MILLION_PARAMETERS.matcher(description);
        if (millions.find()) {
            return Math.round(Double.parseDouble(millions.group(1)) * 1_000_000);
        }
        return -1;
    }

    private static String run(Path jar, Path modelDir, List<String> arguments) throws BenchmarkException {
        List<String> command = new ArrayList<>(
                List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (modelDir != null) {
            builder.environment().put("SALVO_MODEL_DIR", modelDir.toString());
        }
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            String output = readAll(process.getInputStream());
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new BenchmarkException(
                        "model-server " + String.join(" ", arguments) + " did not finish in 5 minutes");
            }
            if (process.exitValue() != 0) {
                throw new BenchmarkException("model-server " + String.join(" ", arguments) + " failed (exit "
                        + process.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new BenchmarkException("cannot run the model-server jar " + jar + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchmarkException("interrupted while preparing models", e);
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        in.transferTo(buffer);
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
