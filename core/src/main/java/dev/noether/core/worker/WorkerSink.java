package dev.noether.core.worker;

import dev.noether.core.runtime.NoetherReportListener;

import io.micrometer.core.instrument.MeterRegistry;

import java.io.Serializable;
import java.util.List;

/**
 * Where a worker that runs in another JVM publishes: an engine that ships its listeners to its workers (Spark
 * serializes them) ships this too, and the worker resolves it there, once per JVM. The exporter's
 * {@code ExporterSink} starts one endpoint per worker JVM (port 0, a {@code targets} file for discovery).
 */
public interface WorkerSink extends Serializable {
    /** The registry of this JVM's workers; the same instance on every call in one JVM. */
    MeterRegistry registry();

    /** The report listeners of this JVM's workers (an event log, the page); none by default. */
    default List<NoetherReportListener> reportListeners() {
        return List.of();
    }
}
