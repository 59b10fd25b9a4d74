package dev.noether.core.runtime;

/**
 * A source of monotonic nanoseconds: the monitor measures its tiers, its time floor, its CPU share and its
 * overhead with it. {@link #system()} in production; tests inject one they move by hand, so no test sleeps.
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds from an arbitrary origin; only differences between two readings mean something. */
    long read();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
