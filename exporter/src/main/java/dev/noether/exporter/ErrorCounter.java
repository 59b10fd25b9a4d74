package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The {@code noether.errors} counter of one stage: failures inside Noether that training survived. */
final class ErrorCounter {
    static final String NAME = "noether.errors";
    // Prometheus keeps one HELP per metric name: core must register noether.errors with this same text.
    static final String DESCRIPTION = "Failures inside Noether, by stage; training continued";

    private ErrorCounter() {}

    static Counter forStage(MeterRegistry registry, String stage) {
        return Counter.builder(NAME).description(DESCRIPTION).tag("stage", stage).register(registry);
    }
}
