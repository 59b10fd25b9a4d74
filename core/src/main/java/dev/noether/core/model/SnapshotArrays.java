package dev.noether.core.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Host arrays for step snapshots, handed back by the monitor once it is done with a snapshot, so that
 * observing every step allocates nothing on the training thread: a fresh 1 MB {@code float[]} per
 * parameter tensor and step is zeroed by the JVM before it is copied into, and keeps the young generation
 * collecting under the training loop. One pool per adapter; thread-safe (the training thread takes, the
 * monitor's step thread gives back).
 *
 * <pre>{@code
 * float[] w = arrays.take(m * n);              // on the training thread: copy the engine's W into it
 * StepSnapshot s = StepSnapshot.builder(step).recycledTo(arrays).layer(LayerSnapshot.of(w, ...)).build();
 * monitor.onStep(step, () -> s);               // the monitor releases s when no step needs it any more
 * }</pre>
 */
public final class SnapshotArrays {
    private final int keepSnapshots;
    private final Map<Integer, Shelf> shelves = new ConcurrentHashMap<>();

    /**
     * @param keepSnapshots how many snapshots' worth of free arrays are kept for reuse; the monitor holds at most
     *                      three at once (the step held for ‖ΔW‖², the one being summed, the one waiting or being
     *                      copied), so the adapters keep four
     */
    public SnapshotArrays(int keepSnapshots) {
        if (keepSnapshots < 1) {
            throw new IllegalArgumentException("keepSnapshots must be at least 1, got " + keepSnapshots);
        }
        this.keepSnapshots = keepSnapshots;
    }

    /** An array of exactly {@code length} elements whose contents are unspecified: the caller overwrites all of it. */
    public float[] take(int length) {
        Shelf shelf = shelves.get(length);
        float[] a = shelf == null ? null : shelf.free.poll();
        if (a == null) {
            return new float[length];
        }
        shelf.size.decrementAndGet();
        return a;
    }

    /**
     * Gives back the arrays of one snapshot (nulls skipped). Of each length, as many are kept as
     * {@code keepSnapshots} snapshots hold (W and ∂ℓ/∂W share a length, and so do the layers of a repeated
     * block); the rest are left to the garbage collector.
     */
    void giveSnapshot(List<float[]> arrays) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (float[] a : arrays) {
            if (a != null) {
                counts.merge(a.length, 1, Integer::sum);
            }
        }
        counts.forEach((length, count) -> shelves.computeIfAbsent(length, k -> new Shelf()).perSnapshot
                .accumulateAndGet(count, Math::max));
        for (float[] a : arrays) {
            if (a == null) {
                continue;
            }
            Shelf shelf = shelves.get(a.length);
            if (shelf.size.incrementAndGet() <= keepSnapshots * shelf.perSnapshot.get()) {
                shelf.free.add(a);
            } else {
                shelf.size.decrementAndGet();
            }
        }
    }

    private static final class Shelf {
        final Queue<float[]> free = new ConcurrentLinkedQueue<>();
        final AtomicInteger size = new AtomicInteger();
        final AtomicInteger perSnapshot = new AtomicInteger();
    }
}
