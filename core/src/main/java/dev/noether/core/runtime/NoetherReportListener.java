package dev.noether.core.runtime;

/**
 * Receives every report a monitor publishes: step reports on the training thread (so an implementation
 * must return at once, e.g. by queueing), analysis reports on the analysis thread. An exception thrown here
 * is counted in {@code noether.errors{stage="listener"}} and never reaches training.
 */
@FunctionalInterface
public interface NoetherReportListener {
    void onReport(NoetherReport report);

    /**
     * The listener for the reports of one worker of a data-parallel run (a Spark partition, a ParallelWrapper
     * replica), so that it can tell the workers apart; by default this listener itself. The exporter's event log
     * and page add {@code "worker"} to each record.
     */
    default NoetherReportListener forWorker(String worker) {
        return this;
    }
}
