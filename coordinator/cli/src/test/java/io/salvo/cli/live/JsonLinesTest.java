package io.salvo.cli.live;

import static io.salvo.cli.live.SyntheticRun.times;
import static org.assertj.core.api.Assertions.assertThat;

import io.salvo.proto.v1.LiveEvent;
import io.salvo.proto.v1.LiveEventKind;
import io.salvo.proto.v1.LiveSnapshot;
import io.salvo.proto.v1.ResliceCause;
import io.salvo.proto.v1.RunState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON lines are an interface for scripts: these are their exact, documented field names and values. */
class JsonLinesTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final JsonLines json =
            new JsonLines(new RunProgress(SyntheticRun.plan()), new PrintStream(bytes, true, StandardCharsets.UTF_8));

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void oneObjectPerIntervalWithTheRunSoFarThenOneForTheEnd() {
        json.interval(SyntheticRun.withEvent(
                        SyntheticRun.interval(0, times(9, 1000), times(1, 1500)),
                        SyntheticRun.event(
                                LiveEventKind.LIVE_EVENT_KIND_COLD_START, 400_000, "cold start: i-1 took 0.40 s"))
                .setLateSends(2)
                .build());
        json.interval(SyntheticRun.interval(1, times(10, 2000), new long[0]).build());
        json.ended(SyntheticRun.end(RunState.RUN_STATE_COMPLETED, ""));

        assertThat(lines())
                .containsExactly(
                        "{\"type\":\"interval\",\"run_id\":\"run-1\",\"state\":\"running\",\"interval_index\":0,"
                                + "\"interval_millis\":1000,\"elapsed_seconds\":1.0,\"total_seconds\":8.0,"
                                + "\"phase_index\":0,\"phase_count\":2,"
                                + "\"target_rate_per_second\":10.0,\"success_rate_per_second\":9.0,"
                                + "\"sent\":10,\"completed\":10,\"successes\":9,\"errors\":1,"
                                + "\"outcomes\":{\"2xx\":9,\"5xx\":1},"
                                + "\"latency_micros\":{\"p50\":1000,\"p95\":1500,\"p99\":1500,\"max\":1500},"
                                + "\"run\":{\"sent\":10,\"successes\":9,\"errors\":1,\"late_sends\":2,"
                                + "\"outcomes\":{\"2xx\":9,\"5xx\":1},"
                                + "\"latency_micros\":{\"count\":10,\"p50\":1000,\"p95\":1500,\"p99\":1500,\"max\":1500}},"
                                + "\"late_sends\":2,\"unsent\":0,\"in_flight_cap_hits\":0,"
                                + "\"scheduler_lag_p99_micros\":120,\"scheduler_lag_max_micros\":1500,"
                                + "\"connection_wait_p99_micros\":0,\"connection_wait_max_micros\":0,"
                                + "\"connection_waits\":0,"
                                + "\"responding_instances\":3,\"new_instances\":3,"
                                + "\"workers_reported\":2,\"workers_assigned\":2,"
                                + "\"workers_connected\":0,\"workers_lost\":0,\"cold_starts\":0,"
                                + "\"regions\":[],"
                                + "\"events\":[{\"kind\":\"cold_start\",\"offset_micros\":400000,"
                                + "\"text\":\"cold start: i-1 took 0.40 s\"}]}",
                        "{\"type\":\"interval\",\"run_id\":\"run-1\",\"state\":\"running\",\"interval_index\":1,"
                                + "\"interval_millis\":1000,\"elapsed_seconds\":2.0,\"total_seconds\":8.0,"
                                + "\"phase_index\":0,\"phase_count\":2,"
                                + "\"target_rate_per_second\":10.0,\"success_rate_per_second\":10.0,"
                                + "\"sent\":10,\"completed\":10,\"successes\":10,\"errors\":0,"
                                + "\"outcomes\":{\"2xx\":10},"
                                + "\"latency_micros\":{\"p50\":2000,\"p95\":2000,\"p99\":2000,\"max\":2000},"
                                + "\"run\":{\"sent\":20,\"successes\":19,\"errors\":1,\"late_sends\":2,"
                                + "\"outcomes\":{\"2xx\":19,\"5xx\":1},"
                                + "\"latency_micros\":{\"count\":20,\"p50\":1500,\"p95\":2000,\"p99\":2000,\"max\":2000}},"
                                + "\"late_sends\":0,\"unsent\":0,\"in_flight_cap_hits\":0,"
                                + "\"scheduler_lag_p99_micros\":120,\"scheduler_lag_max_micros\":1500,"
                                + "\"connection_wait_p99_micros\":0,\"connection_wait_max_micros\":0,"
                                + "\"connection_waits\":0,"
                                + "\"responding_instances\":3,\"new_instances\":0,"
                                + "\"workers_reported\":2,\"workers_assigned\":2,"
                                + "\"workers_connected\":0,\"workers_lost\":0,\"cold_starts\":0,\"regions\":[],"
                                + "\"events\":[]}",
                        "{\"type\":\"end\",\"run_id\":\"run-1\",\"state\":\"completed\",\"message\":\"\","
                                + "\"intervals\":2,\"elapsed_seconds\":2.0,"
                                + "\"run\":{\"sent\":20,\"successes\":19,\"errors\":1,\"late_sends\":2,"
                                + "\"outcomes\":{\"2xx\":19,\"5xx\":1},"
                                + "\"latency_micros\":{\"count\":20,\"p50\":1500,\"p95\":2000,\"p99\":2000,\"max\":2000}},"
                                + "\"workers_lost\":0,\"cold_starts\":0,\"events\":[]}");
    }

    @Test
    void aRunWithRegionsGivesEachRegionsIntervalFigures() {
        json.interval(SyntheticRun.interval(0, times(10, 1000), new long[0])
                .addRegions(SyntheticRun.interval(0, times(6, 800), new long[0])
                        .setRegion("us-east1")
                        .setWorkersAssigned(2))
                .addRegions(SyntheticRun.interval(0, times(4, 1400), new long[0])
                        .setRegion("europe-west1")
                        .setWorkersReported(1)
                        .setWorkersAssigned(1))
                .build());

        assertThat(lines().get(0))
                .contains("\"regions\":[{\"region\":\"us-east1\",\"target_rate_per_second\":6.0,"
                        + "\"success_rate_per_second\":6.0,\"sent\":6,\"completed\":6,\"successes\":6,"
                        + "\"errors\":0,\"latency_micros\":{\"p50\":800,\"p95\":800,\"p99\":800,\"max\":800},"
                        + "\"late_sends\":0,\"workers_reported\":2,\"workers_assigned\":2},"
                        + "{\"region\":\"europe-west1\",");
    }

    @Test
    void theRunsOwnEventsCarryTheirWorkerAndReSliceAndTheEndTheEventsLeft() {
        json.interval(SyntheticRun.interval(0, times(10, 1000), new long[0])
                .setWorkersConnected(1)
                .setWorkersLost(1)
                .setColdStarts(3)
                .addLiveEvents(LiveEvent.newBuilder()
                        .setKind(LiveEventKind.LIVE_EVENT_KIND_WORKER_LOST)
                        .setOffsetMicros(300_000)
                        .setWorkerId("w-b")
                        .setText("worker w-b lost (stream closed)"))
                .addLiveEvents(LiveEvent.newBuilder()
                        .setKind(LiveEventKind.LIVE_EVENT_KIND_RESLICE)
                        .setOffsetMicros(350_000)
                        .setWorkerId("w-b")
                        .setWorkers(1)
                        .setEpoch(2)
                        .setResliceCause(ResliceCause.RESLICE_CAUSE_WORKER_LOST)
                        .setText("worker w-b lost: rate re-sliced over 1 worker (epoch 2)"))
                .build());
        json.ended(SyntheticRun.end(RunState.RUN_STATE_COMPLETED, "").toBuilder()
                .setWorkersLost(1)
                .setColdStarts(3)
                .addLiveEvents(LiveEvent.newBuilder()
                        .setKind(LiveEventKind.LIVE_EVENT_KIND_TAKEOVER)
                        .setOffsetMicros(900_000)
                        .setText("coordinator c-2 took the run over from c-1 (4 interval reports restored)"))
                .build());

        assertThat(lines().get(0))
                .contains("\"workers_connected\":1,\"workers_lost\":1,\"cold_starts\":3,")
                .endsWith("\"events\":[{\"kind\":\"worker_lost\",\"offset_micros\":300000,"
                        + "\"text\":\"worker w-b lost (stream closed)\",\"worker_id\":\"w-b\"},"
                        + "{\"kind\":\"reslice\",\"offset_micros\":350000,"
                        + "\"text\":\"worker w-b lost: rate re-sliced over 1 worker (epoch 2)\","
                        + "\"worker_id\":\"w-b\",\"workers\":1,\"epoch\":2}]}");
        assertThat(lines().get(1))
                .endsWith("\"workers_lost\":1,\"cold_starts\":3,\"events\":[{\"kind\":\"takeover\","
                        + "\"offset_micros\":900000,"
                        + "\"text\":\"coordinator c-2 took the run over from c-1 (4 interval reports restored)\"}]}");
    }

    @Test
    void drainingIntervalsHaveNoPhaseAndARunWithoutResponsesHasNoPercentiles() {
        LiveSnapshot draining = SyntheticRun.interval(8, new long[0], new long[0])
                .clearLatencyMicros()
                .build();
        json.interval(draining);
        json.ended(SyntheticRun.end(RunState.RUN_STATE_FAILED, "no worker left"));

        assertThat(lines().get(0))
                .contains("\"elapsed_seconds\":9.0,")
                .contains("\"phase_index\":null,")
                .contains("\"latency_micros\":{\"count\":0,\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null}");
        assertThat(lines().get(1))
                .startsWith(
                        "{\"type\":\"end\",\"run_id\":\"run-1\",\"state\":\"failed\",\"message\":\"no worker left\",");
    }
}
