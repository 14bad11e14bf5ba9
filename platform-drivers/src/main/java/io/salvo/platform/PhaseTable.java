package io.salvo.platform;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's cold starts summed up per phase: how many went through it, the median and the maximum of its duration.
 * Phases keep the order in which they first appear; the last row is the total.
 */
public final class PhaseTable {

    /** The name of the row over whole cold starts. */
    public static final String TOTAL = "total";

    /**
     * One phase over the run's cold starts.
     *
     * @param median the lower median (of an even count, the smaller of the two middle values): always a measured one
     */
    public record Row(String phase, int count, Duration median, Duration max) {}

    private PhaseTable() {}

    public static List<Row> of(List<ColdStartPhases> coldStarts) {
        Map<String, List<Duration>> byPhase = new LinkedHashMap<>();
        List<Duration> totals = new ArrayList<>();
        for (ColdStartPhases c : coldStarts) {
            for (ColdStartPhases.Phase p : c.phases()) {
                byPhase.computeIfAbsent(p.name(), k -> new ArrayList<>()).add(p.duration());
            }
            if (c.complete()) {
                totals.add(c.total());
            }
        }
        if (!totals.isEmpty()) {
            byPhase.put(TOTAL, totals);
        }
        List<Row> rows = new ArrayList<>();
        byPhase.forEach((phase, durations) -> {
            List<Duration> sorted = durations.stream().sorted().toList();
            rows.add(new Row(phase, sorted.size(), sorted.get((sorted.size() - 1) / 2), sorted.get(sorted.size() - 1)));
        });
        return rows;
    }
}
