package dev.noether.core.runtime;

/**
 * Receives every report a monitor publishes: step reports on the training thread (so an implementation
 * must return at once, e.g. by queueing), analysis reports on the analysis thread. An exception thrown here
 * is counted in {@code noether.errors{stage="listener"}} and never reaches training.
 */
@FunctionalInterface
public interface NoetherReportListener {
    void onReport(NoetherReport report);
}
