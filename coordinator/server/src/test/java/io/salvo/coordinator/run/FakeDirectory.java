package io.salvo.coordinator.run;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Connected workers without a network: the channels a test adds. */
final class FakeDirectory implements WorkerDirectory {

    final List<FakeChannel> channels = new CopyOnWriteArrayList<>();
    volatile Listener listener;

    @Override
    public void listener(Listener l) {
        listener = l;
    }

    @Override
    public List<FakeChannel> all() {
        return List.copyOf(channels);
    }

    /** Answers at once with whoever is idle: a test that needs workers adds them first. */
    @Override
    public List<FakeChannel> awaitIdle(int count, long timeoutMillis) {
        return channels.stream()
                .filter(c -> !c.closed() && c.runId() == null)
                .sorted(Comparator.comparing(FakeChannel::workerId))
                .toList();
    }
}
