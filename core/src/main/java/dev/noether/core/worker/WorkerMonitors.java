package dev.noether.core.worker;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.spi.ListenerSettings;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One monitor per worker of a data-parallel run, in this JVM, that outlives the worker's networks.
 *
 * <p>Data-parallel engines give a worker a fresh network again and again: DL4J on Spark builds one per averaging
 * round and partition, a {@code ParallelWrapper} one per replica. A monitor per network would leak a thread pair,
 * its meters and their memory at every round, and its series would never continue. Instead the adapter
 * {@linkplain #take takes} the worker's {@link Slot}, keyed by registry, {@code model} and {@code worker}: the first
 * network of a worker creates the monitor (meters tagged {@code worker}), every later one takes it over, and the
 * network before is no longer referenced. So the number of monitors, threads and series is fixed by the number of
 * workers, not by training time.
 *
 * <p>Steps continue too: a new network's iteration {@code i} becomes step {@code lastStep + 2 + (i - first)}. The
 * gap of one says that the parameters were replaced between the two networks (averaged), so the one-step charge
 * identity is not evaluated across it.
 */
public final class WorkerMonitors {
    private static final WorkerMonitors SHARED = new WorkerMonitors();

    private final Map<MeterRegistry, Map<String, Slot>> slots = new IdentityHashMap<>();

    WorkerMonitors() {}

    /** The slots of this JVM (of this class loader). */
    public static WorkerMonitors shared() {
        return SHARED;
    }

    /** One worker's monitor and the network that feeds it now. */
    public static final class Slot {
        private final NoetherMonitor monitor;
        private final String worker;
        private final String layout;
        private volatile Object owner;
        private volatile Object carried;
        private long offset;
        private long lastStep = -1;

        private Slot(NoetherMonitor monitor, String worker, String layout) {
            this.monitor = monitor;
            this.worker = worker;
            this.layout = layout;
        }

        public NoetherMonitor monitor() {
            return monitor;
        }

        /** The {@code worker} tag of the monitor's meters. */
        public String worker() {
            return worker;
        }

        /** What the adapter carries from one network of the worker to the next (its probe batch), or null. */
        public Object carried() {
            return carried;
        }

        /** Keeps {@code state} for the worker's next network ({@link #carried()}). */
        public void carry(Object state) {
            this.carried = state;
        }

        /** Whether {@code owner} still feeds this slot (a later network of the same worker takes it over). */
        public boolean ownedBy(Object owner) {
            return this.owner == owner;
        }

        /** The worker's step for the current network's iteration {@code iteration}; remembers the largest. */
        public synchronized long step(long iteration) {
            long step = offset + iteration;
            if (step > lastStep) lastStep = step;
            return step;
        }

        private synchronized void handOver(Object newOwner, long firstIteration) {
            offset = lastStep < 0 ? 0 : lastStep + 2 - firstIteration;
            owner = newOwner;
        }
    }

    /**
     * The slot of {@code worker} for a network described by {@code description} in {@code settings}' registry,
     * now owned by {@code owner} (the adapter's binding of the new network, whose first iteration is
     * {@code firstIteration}). A network of another layout under the same model and worker replaces the slot:
     * the old monitor is closed and its meters removed.
     */
    public synchronized Slot take(Object owner, ListenerSettings settings, String worker, NetworkDescription description,
                                  String engine, long firstIteration) {
        String model = description.model();
        Map<String, Slot> inRegistry = slots.computeIfAbsent(settings.registry(), r -> new HashMap<>());
        String key = model + '\u0000' + worker;
        String layout = description.summary();
        Slot slot = inRegistry.get(key);
        if (slot != null && !slot.layout.equals(layout)) {
            release(settings.registry(), model, slot);
            inRegistry.remove(key);
            slot = null;
        }
        if (slot == null) {
            slot = new Slot(settings.start(description, engine, worker), worker, layout);
            inRegistry.put(key, slot);
        }
        slot.handOver(owner, firstIteration);
        return slot;
    }

    /** How many worker monitors this JVM holds. */
    public synchronized int size() {
        return slots.values().stream().mapToInt(Map::size).sum();
    }

    /**
     * Closes every worker monitor of {@code registry} and removes its meters (a run is over). The networks that
     * still hold a listener simply stop reporting.
     */
    public synchronized void releaseAll(MeterRegistry registry) {
        Map<String, Slot> inRegistry = slots.remove(registry);
        if (inRegistry == null) return;
        for (Slot slot : inRegistry.values()) {
            release(registry, slot.monitor.description().model(), slot);
        }
    }

    /** Closes every worker monitor of this JVM and removes its meters. */
    public synchronized void releaseAll() {
        for (MeterRegistry registry : new ArrayList<>(slots.keySet())) {
            releaseAll(registry);
        }
    }

    private static void release(MeterRegistry registry, String model, Slot slot) {
        slot.owner = null;
        slot.monitor.close();
        List<Meter> ours = new ArrayList<>();
        for (Meter meter : registry.getMeters()) {
            if (model.equals(meter.getId().getTag("model")) && slot.worker.equals(meter.getId().getTag("worker"))) {
                ours.add(meter);
            }
        }
        ours.forEach(registry::remove);
    }
}
