package dev.noether.exporter;

import dev.noether.core.catalogue.MetricFamily;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The {@code noether.errors} counter of one stage: failures inside Noether that training survived. */
final class ErrorCounter {
    // the catalogue's name and help text: Prometheus keeps one HELP per metric name, so core and the exporter
    // must register noether.errors with the same text
    static final String NAME = MetricFamily.ERRORS.meterName();
    static final String DESCRIPTION = MetricFamily.ERRORS.description();

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
