package dev.noether.core.runtime;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The every-step tier's own background thread (METRICS.md §6): the training thread only copies a step and
 * hands it here; the O(parameters) sums run on this thread, in step order. At most {@code capacity} steps
 * wait. Before it copies, the training thread {@linkplain #awaitRoom waits for room}: never longer than the
 * sums of the step before take, so a model whose steps are quicker than their sums trains at the pace it had
 * when the sums ran on the training thread, and no step is lost to a busy thread. Readers that must see every
 * step handed over so far call {@link #awaitIdle}. The thread is a daemon and starts with the first step.
 */
final class StepPipeline implements AutoCloseable {
    private final String name;
    private final BlockingQueue<Runnable> queue;
    private final Object idle = new Object();
    private int pending; // guarded by idle
    private volatile Thread worker;
    private volatile boolean closed;

    StepPipeline(String name, int capacity) {
        this.name = name;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /**
     * Waits until a step handed over now would be accepted, at most {@code nanos} (the training thread is the
     * only producer, so the room stays); false on time-out or when closed.
     */
    boolean awaitRoom(long nanos) {
        if (closed) {
            return false;
        }
        return queue.remainingCapacity() > 0 || waitFor(() -> queue.remainingCapacity() > 0 || closed, nanos) && !closed;
    }

    /** Hands a step over; false (and nothing run) when there is no room or the pipeline is closed. */
    boolean offer(Runnable step) {
        if (closed) {
            return false;
        }
        synchronized (idle) {
            if (!queue.offer(step)) {
                return false;
            }
            pending++;
        }
        startIfNeeded();
        return true;
    }

    /**
     * Waits until every step handed over so far has run, at most {@code nanos}; true when it did. Returns at
     * once on the pipeline's own thread (a report listener reading the monitor), which cannot wait for itself.
     */
    boolean awaitIdle(long nanos) {
        return Thread.currentThread() == worker || waitFor(() -> pending == 0, nanos);
    }

    /** Waits on {@code idle}, which the worker notifies after taking and after running a step, until {@code done}. */
    private boolean waitFor(BooleanSupplier done, long nanos) {
        long deadline = System.nanoTime() + nanos;
        synchronized (idle) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private void startIfNeeded() {
        if (worker != null) {
            return;
        }
        synchronized (this) {
            if (worker == null && !closed) {
                Thread t = new Thread(this::drain, name);
                t.setDaemon(true);
                worker = t;
                t.start();
            }
        }
    }

    private void drain() {
        while (true) {
            Runnable step;
            try {
                step = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return; // closed
            }
            if (step != null) {
                synchronized (idle) {
                    idle.notifyAll(); // room for the next step while this one runs
                }
            }
            if (step == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            try {
                step.run(); // the monitor's step job counts its own failures; nothing escapes here
            } catch (Throwable ignored) {
                // a Throwable past the job's own handling: keep the thread for the next steps
            } finally {
                synchronized (idle) {
                    pending--;
                    idle.notifyAll();
                }
            }
        }
    }

    /** Stops accepting steps, lets the waiting ones run (up to 2 s) and ends the thread. */
    @Override
    public void close() {
        closed = true;
        awaitIdle(TimeUnit.SECONDS.toNanos(2));
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }
}
