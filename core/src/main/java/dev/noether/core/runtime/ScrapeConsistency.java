package dev.noether.core.runtime;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Makes every scrape see whole reports.
 *
 * <p>Noether's gauges read the latest report of their monitor lazily, one meter at a time, while the
 * monitor replaces reports from other threads. A scrape that straddled a replacement would mix two
 * reports for one layer (a charge from step t beside a drift from step t+50). Monitors publish a new
 * report under the write lock; exporters wrap their scrape in {@link #read(Supplier)}. Publishing is a
 * reference swap, so the write lock is held for nanoseconds and a scrape never waits long.
 */
public final class ScrapeConsistency {
    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();

    private ScrapeConsistency() {}

    /** Runs {@code read} (typically {@code registry.scrape()}) while no report is being replaced. */
    public static <T> T read(Supplier<T> read) {
        LOCK.readLock().lock();
        try {
            return read.get();
        } finally {
            LOCK.readLock().unlock();
        }
    }

    /**
     * True inside {@link #read} on this thread: a reader there must not wait for a publication (the monitor's
     * step thread would wait for the scrape to end, and the scrape for the step).
     */
    static boolean insideRead() {
        return LOCK.getReadHoldCount() > 0;
    }

    /** Runs {@code swap} (a reference assignment) so that no scrape observes it half-way. */
    public static void publish(Runnable swap) {
        LOCK.writeLock().lock();
        try {
            swap.run();
        } finally {
            LOCK.writeLock().unlock();
        }
    }
}
