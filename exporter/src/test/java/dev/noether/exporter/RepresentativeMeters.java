package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** Meters shaped like the ones Noether's binder registers (names, units, tags of the metric catalogue). */
final class RepresentativeMeters {
    static final long STEPS = 42;

    private RepresentativeMeters() {}

    static void register(MeterRegistry r) {
        for (String pair : new String[] {"l1:l2", "l2:l3"}) {
            Gauge.builder("noether.charge", () -> 1.25).description("Conserved charge Q of the pair, per neuron summed")
                    .tags("model", "mlp", "pair", pair, "symmetry", "rescaling").register(r);
            Gauge.builder("noether.charge.drift", () -> 0.015).description("Relative drift of the charge since the reference step")
                    .tags("model", "mlp", "pair", pair, "symmetry", "rescaling").register(r);
            Gauge.builder("noether.symmetry.violation", () -> Double.NaN).description("Share of the charge drift not explained by the optimizer")
                    .tags("model", "mlp", "pair", pair, "symmetry", "rescaling").register(r);
        }
        for (String layer : new String[] {"l1", "l2"}) {
            Gauge.builder("noether.layer.weight.norm", () -> 3.5).description("Frobenius norm of the layer's weights")
                    .tags("model", "mlp", "layer", layer).register(r);
            Gauge.builder("noether.neurons.dead", () -> 2).description("Neurons that never activate on the probe batch")
                    .tags("model", "mlp", "layer", layer).register(r);
        }
        Gauge.builder("noether.loss", () -> 0.693).description("Training loss of the last step").tags("model", "mlp").register(r);
        Gauge.builder("noether.last.step.timestamp", () -> 1.7e9).description("Wall-clock time of the last step")
                .baseUnit("seconds").tags("model", "mlp").register(r);
        Counter.builder("noether.steps").description("Training steps observed").tags("model", "mlp").register(r).increment(STEPS);
        for (String tier : new String[] {"step", "probe", "heavy"}) {
            Timer.builder("noether.analysis").description("Time spent analysing, by tier")
                    .tags("model", "mlp", "tier", tier).register(r).record(Duration.ofMillis(3));
        }
        Gauge.builder("noether.info", () -> 1).description("Noether build and run information")
                .tags("model", "mlp", "version", "0.1.0", "engine", "djl", "optimizer", "sgd", "unsupported", "none").register(r);
    }
}
