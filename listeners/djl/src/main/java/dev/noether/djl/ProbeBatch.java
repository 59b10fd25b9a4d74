package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * The fixed batch the heavy tier measures activations on: a detached copy, in its own manager, of at most
 * {@code samples} rows of the given inputs and labels (by default the first training batch). Closing it frees
 * the copies.
 */
final class ProbeBatch implements AutoCloseable {
    private final NDManager manager;
    private final NDList inputs;
    private final NDList labels;

    private ProbeBatch(NDManager manager, NDList inputs, NDList labels) {
        this.manager = manager;
        this.inputs = inputs;
        this.labels = labels;
    }

    /**
     * Copies the first {@code samples} rows of {@code inputs} and {@code labels} (labels may be null) onto
     * {@code device}, into a new sub-manager of {@code parent}.
     */
    static ProbeBatch copyOf(NDList inputs, NDList labels, int samples, NDManager parent, Device device) {
        NDManager manager = parent.newSubManager(device);
        try {
            return new ProbeBatch(manager, copy(inputs, samples, manager, device),
                    labels == null ? null : copy(labels, samples, manager, device));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static NDList copy(NDList list, int samples, NDManager owner, Device device) {
        NDList out = new NDList(list.size());
        for (NDArray a : list) {
            long rows = Math.min(samples, a.getShape().get(0));
            try (NDArray view = a.get(new NDIndex("0:{}", rows))) {
                NDArray copy = view.duplicate(); // own storage, not a view of the batch
                if (!copy.getDevice().equals(device)) {
                    NDArray moved = copy.toDevice(device, false);
                    copy.close();
                    copy = moved;
                }
                copy.attach(owner);
                out.add(copy);
            }
        }
        return out;
    }

    NDList inputs() {
        return inputs;
    }

    /** The labels, or null when none were given. */
    NDList labels() {
        return labels;
    }

    int size() {
        return Math.toIntExact(inputs.head().getShape().get(0));
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
