package dev.noether.core.runtime;

/**
 * The busy time of one of the monitor's own threads (the step thread, the analysis thread) on the monitor's
 * {@link Ticker}: the thread marks the start and end of each job, and the training thread reads, at each step,
 * how long the thread has been busy so far — including a job still running, so that an analysis of several
 * seconds is seen while it runs, not at its end. Thread-safe.
 */
final class BusyClock {
    private long total;
    private long since = Long.MIN_VALUE; // start of the running job, MIN_VALUE when idle

    synchronized void begin(long now) {
        since = now;
    }

    synchronized void end(long now) {
        if (since != Long.MIN_VALUE) {
            total += Math.max(0, now - since);
            since = Long.MIN_VALUE;
        }
    }

    /** Nanoseconds busy up to {@code now}, the running job's share included. */
    synchronized long busy(long now) {
        return since == Long.MIN_VALUE ? total : total + Math.max(0, now - since);
    }
}
