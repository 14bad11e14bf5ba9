package io.salvo.coordinator.run;

import io.salvo.proto.v1.RegionShare;
import io.salvo.proto.v1.RunPlan;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which idle workers a run whose plan has regions takes: only workers of the plan's regions; a region that fixes
 * its {@code workers} gets exactly that many, every other region at least one, and the rest of the plan's
 * worker count is dealt round-robin over the regions that do not fix theirs (each region's workers in id order).
 * Pure: the caller waits for workers and asks again.
 */
final class RegionPick {

    private RegionPick() {}

    /** The chosen workers, or why there are not enough yet. */
    record Outcome(List<WorkerChannel> chosen, String shortfall) {
        boolean enough() {
            return shortfall == null;
        }
    }

    static Outcome choose(RunPlan plan, List<? extends WorkerChannel> idle) {
        Map<String, List<WorkerChannel>> byRegion = new LinkedHashMap<>();
        for (RegionShare r : plan.getRegionsList()) {
            byRegion.put(r.getRegion(), new ArrayList<>());
        }
        for (WorkerChannel w : idle) {
            List<WorkerChannel> list = byRegion.get(w.hello().getRegion());
            if (list != null) {
                list.add(w);
            }
        }
        List<String> missing = new ArrayList<>();
        List<WorkerChannel> chosen = new ArrayList<>();
        List<List<WorkerChannel>> open = new ArrayList<>();
        int fixed = 0;
        for (RegionShare r : plan.getRegionsList()) {
            List<WorkerChannel> available = byRegion.get(r.getRegion());
            int needed = Math.max(1, r.getWorkers());
            if (available.size() < needed) {
                missing.add(String.format(Locale.ROOT, "%s has %d of %d", r.getRegion(), available.size(), needed));
                continue;
            }
            if (r.getWorkers() > 0) {
                chosen.addAll(available.subList(0, needed));
                fixed += needed;
            } else {
                open.add(available);
            }
        }
        if (!missing.isEmpty()) {
            return new Outcome(List.of(), "regions without enough idle workers: " + String.join(", ", missing));
        }
        int wanted = plan.getWorkerCount() - fixed;
        int available = open.stream().mapToInt(List::size).sum();
        if (wanted > available) {
            return new Outcome(
                    List.of(),
                    "only " + available + " idle workers in the regions without a fixed worker count, " + wanted
                            + " wanted");
        }
        for (int round = 0; wanted > 0; round++) {
            for (List<WorkerChannel> region : open) {
                if (wanted > 0 && round < region.size()) {
                    chosen.add(region.get(round));
                    wanted--;
                }
            }
        }
        chosen.sort(java.util.Comparator.comparing(WorkerChannel::workerId));
        return new Outcome(chosen, null);
    }

    /** The idle workers by region, for the message of a run that could not start: "us-east1 3, (none) 1". */
    static String idleByRegion(List<? extends WorkerChannel> idle) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (WorkerChannel w : idle) {
            String region = w.hello().getRegion();
            counts.merge(region.isEmpty() ? "(no region)" : region, 1, Integer::sum);
        }
        if (counts.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((region, n) -> parts.add(region + " " + n));
        return String.join(", ", parts);
    }
}
