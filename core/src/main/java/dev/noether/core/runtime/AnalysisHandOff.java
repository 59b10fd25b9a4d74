package dev.noether.core.runtime;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A single-slot hand-off to one background thread (METRICS.md §6). The caller first
 * {@linkplain #tryReserve() reserves} the slot, which fails at once while an analysis is running, and only
 * then prepares the job; so nothing ever queues behind a busy analysis and the training thread never
 * waits. The thread is a daemon and is created lazily.
 */
final class AnalysisHandOff implements AutoCloseable {
    private final AtomicBoolean busy = new AtomicBoolean();
    private final ExecutorService thread;

    AnalysisHandOff(String name) {
        this.thread = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setPriority(Thread.NORM_PRIORITY - 1);
            return t;
        });
    }

    /** True when the slot was free and is now held by the caller, who must {@link #run} or {@link #release}. */
    boolean tryReserve() {
        return busy.compareAndSet(false, true);
    }

    /** Runs {@code job} on the background thread and frees the slot when it ends, however it ends. */
    void run(Runnable job) {
        try {
            thread.execute(() -> {
                try {
                    job.run();
                } finally {
                    busy.set(false);
                }
            });
        } catch (RuntimeException rejected) {
            busy.set(false);
            throw rejected;
        }
    }

    /** Gives back a reservation whose job could not be prepared. */
    void release() {
        busy.set(false);
    }

    boolean isBusy() {
        return busy.get();
    }

    /** Stops accepting work and waits briefly for a running analysis. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
