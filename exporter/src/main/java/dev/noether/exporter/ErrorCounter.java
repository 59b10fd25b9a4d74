package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The {@code noether.errors} counter of one stage: failures inside Noether that training survived. */
final class ErrorCounter {
    static final String NAME = "noether.errors";
    // Prometheus keeps one HELP per metric name: core must register noether.errors with this same text.
    static final String DESCRIPTION = "Failures inside Noether, by stage; training continued";

    private ErrorCounter() {}

    /**
     * The counter of {@code stage}. Core counts its own stages per model under the same name, and Prometheus
     * wants one set of label names per metric: the exporter's counters carry {@code model=""} (not tied to
     * one model; Prometheus treats an empty label as absent).
     */
    static Counter forStage(MeterRegistry registry, String stage) {
        return Counter.builder(NAME).description(DESCRIPTION).tag("model", "").tag("stage", stage).register(registry);
    }
}
