package dev.noether.core.worker;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.spi.ListenerBuilder;
import dev.noether.core.spi.ListenerSettings;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One monitor per worker, taken over by each new network of the worker: the same monitor and meters for every round,
 * steps that continue with a gap of one, the previous network no longer current, a new layout replacing the slot,
 * and every monitor's meters removed when the run is released.
 */
class WorkerMonitorsTest {
    private final WorkerMonitors monitors = new WorkerMonitors();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ListenerSettings settings = new Settings().registry(registry).settings();

    @AfterEach
    void release() {
        monitors.releaseAll();
    }

    private static final class Settings extends ListenerBuilder<Settings> {
        @Override
        protected Settings self() {
            return this;
        }
    }

    private static NetworkDescription mlp(int hidden) {
        return NetworkDescription.builder("mlp").dense("fc1", hidden, 4, true).dense("fc2", 2, hidden, true).build();
    }

    @Test
    void eachRoundsNetworkTakesTheWorkersMonitorOverAndItsStepsContinue() {
        Object round1 = new Object(), round2 = new Object();
        WorkerMonitors.Slot first = monitors.take(round1, settings, "p0", mlp(8), "test", 0);
        NoetherMonitor monitor = first.monitor();
        assertThat(first.step(0)).isZero();
        assertThat(first.step(9)).isEqualTo(9);
        int meters = registry.getMeters().size();
        assertThat(registry.find("noether.steps").tag("worker", "p0").tag("model", "mlp").meters()).hasSize(1);

        // the next round's network starts again at iteration 0 (or wherever its configuration says)
        WorkerMonitors.Slot second = monitors.take(round2, settings, "p0", mlp(8), "test", 0);
        assertThat(second).isSameAs(first);
        assertThat(second.monitor()).isSameAs(monitor);
        assertThat(first.ownedBy(round1)).as("the finished network no longer feeds it").isFalse();
        assertThat(second.ownedBy(round2)).isTrue();
        assertThat(second.step(0)).as("after step 9 a gap of one: averaging replaced the parameters").isEqualTo(11);
        assertThat(second.step(3)).isEqualTo(14);
        assertThat(registry.getMeters()).as("no new meters for the new network").hasSize(meters);
        assertThat(monitors.size()).isEqualTo(1);

        // another worker: its own monitor and series
        WorkerMonitors.Slot other = monitors.take(new Object(), settings, "p1", mlp(8), "test", 0);
        assertThat(other.monitor()).isNotSameAs(monitor);
        assertThat(monitors.size()).isEqualTo(2);
        assertThat(registry.find("noether.steps").meters()).hasSize(2);
    }

    @Test
    void aNetworkOfAnotherLayoutReplacesTheSlotAndReleaseRemovesEveryMeter() {
        WorkerMonitors.Slot narrow = monitors.take(new Object(), settings, "p0", mlp(8), "test", 0);
        narrow.carry("probe");
        WorkerMonitors.Slot wide = monitors.take(new Object(), settings, "p0", mlp(16), "test", 0);
        assertThat(wide).isNotSameAs(narrow);
        assertThat(wide.carried()).as("nothing carried across layouts").isNull();
        assertThat(registry.find("noether.layer.info").tag("shape", "16x4").gauges()).hasSize(1);
        assertThat(registry.find("noether.layer.info").tag("shape", "8x4").gauges()).as("the old layout's meters").isEmpty();
        assertThat(monitors.size()).isEqualTo(1);

        monitors.releaseAll(registry);
        assertThat(monitors.size()).isZero();
        assertThat(registry.getMeters()).as("meters of released workers").isEmpty();
    }
}
