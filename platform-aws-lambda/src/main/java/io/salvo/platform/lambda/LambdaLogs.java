package io.salvo.platform.lambda;

import io.salvo.platform.InstanceRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a window of the function's log group says: per log stream (= execution environment) its instance id, cold
 * start and invocations, and the billed totals. Pure: built from events, no AWS calls, so it is tested on scripted
 * lines in their real format.
 */
public final class LambdaLogs {

    private final List<LambdaInstance> instances;
    private final long requests;
    private final double gbSeconds;

    private LambdaLogs(List<LambdaInstance> instances, long requests, double gbSeconds) {
        this.instances = List.copyOf(instances);
        this.requests = requests;
        this.gbSeconds = gbSeconds;
    }

    /** Reads the events, in any order; lines that are neither REPORT nor SALVO_INSTANCE lines are ignored. */
    public static LambdaLogs of(List<LogEvent> events) {
        List<LogEvent> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparing(LogEvent::timestamp));
        Map<String, Builder> streams = new LinkedHashMap<>();
        long requests = 0;
        double gbSeconds = 0;
        for (LogEvent event : sorted) {
            Optional<ReportLine> report = ReportLine.parse(event.message());
            if (report.isPresent()) {
                ReportLine line = report.get();
                requests++;
                gbSeconds += line.billedGbSeconds();
                streams.computeIfAbsent(event.stream(), Builder::new).report(event.timestamp(), line);
                continue;
            }
            Optional<InstanceLine> instance = InstanceLine.parse(event.message());
            if (instance.isPresent()) {
                streams.computeIfAbsent(event.stream(), Builder::new).instance(event.timestamp(), instance.get());
            }
        }
        List<LambdaInstance> instances = new ArrayList<>();
        for (Builder builder : streams.values()) {
            instances.add(builder.build());
        }
        return new LambdaLogs(instances, requests, gbSeconds);
    }

    /** Every execution environment seen in the window, in order of first appearance. */
    public List<LambdaInstance> instances() {
        return instances;
    }

    /** The environment whose model-server reported {@code instanceId}. */
    public Optional<LambdaInstance> instance(String instanceId) {
        return instances.stream().filter(i -> instanceId.equals(i.instanceId())).findFirst();
    }

    /** REPORT lines in the window: invocations AWS bills as requests. */
    public long requests() {
        return requests;
    }

    /** Σ (Billed Duration + Billed Restore Duration) × Memory Size, in GB-seconds (1 GB = 1,024 MB). */
    public double gbSeconds() {
        return gbSeconds;
    }

    /** The SPI's view of one environment; instants are CloudWatch's, the spawn estimated from the init duration. */
    static InstanceRecord toRecord(LambdaInstance instance) {
        Instant ready = instance.initializedAt();
        Instant spawned = null;
        if (ready != null && instance.initDurationMs() != null) {
            spawned = ready.minus(Duration.ofNanos(Math.round(instance.initDurationMs() * 1e6)));
        }
        return new InstanceRecord(
                instance.logStream(),
                instance.instanceId(),
                spawned,
                ready,
                null,
                null,
                instance.firstReportAt(),
                instance.modelLoadMs(),
                null);
    }

    private static final class Builder {
        private final String stream;
        private String instanceId;
        private Instant initializedAt;
        private Long modelLoadMs;
        private Double initDurationMs;
        private Double restoreDurationMs;
        private Instant firstReportAt;
        private long invocations;
        private long billedMs;
        private int maxMemoryUsedMb;
        private int memorySizeMb;

        Builder(String stream) {
            this.stream = stream;
        }

        void instance(Instant at, InstanceLine line) {
            if (instanceId == null) {
                instanceId = line.instanceId();
                initializedAt = at;
                modelLoadMs = line.modelLoadMs();
            }
        }

        void report(Instant at, ReportLine line) {
            if (firstReportAt == null) {
                firstReportAt = at;
            }
            if (initDurationMs == null && line.initDurationMs() != null) {
                initDurationMs = line.initDurationMs();
            }
            if (restoreDurationMs == null && line.restoreDurationMs() != null) {
                restoreDurationMs = line.restoreDurationMs();
            }
            invocations++;
            billedMs += line.billedDurationMs() + line.billedRestoreDurationMs();
            maxMemoryUsedMb = Math.max(maxMemoryUsedMb, line.maxMemoryUsedMb());
            memorySizeMb = line.memorySizeMb();
        }

        LambdaInstance build() {
            return new LambdaInstance(
                    stream,
                    instanceId,
                    initializedAt,
                    modelLoadMs,
                    initDurationMs,
                    restoreDurationMs,
                    firstReportAt,
                    invocations,
                    billedMs,
                    maxMemoryUsedMb,
                    memorySizeMb);
        }
    }
}
