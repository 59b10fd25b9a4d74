package dev.noether.agent;

import dev.noether.exporter.NoetherExporter;
import fixture.djl.DjlTrain;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reference for "the same names as the listeners produce": the DJL fixture trained in this JVM with the
 * listener attached by hand, the way the README shows, and served by the exporter as the agent serves it.
 */
final class DirectRun {
    private static Set<String> djl;

    private DirectRun() {}

    /** The metric names the DJL listener produces on {@link DjlTrain} for {@code steps} steps. */
    static synchronized Set<String> djlNames(int steps) throws InterruptedException {
        if (djl == null) {
            try (NoetherExporter exporter = NoetherExporter.builder().port(0).start()) {
                DjlTrain.train(steps, () -> {},
                        dev.noether.djl.NoetherTrainingListener.builder().registry(exporter.registry()).build());
                djl = noetherNames(Endpoint.afterAnalysis(exporter.url(), Duration.ofSeconds(60), "mlp"));
            }
        }
        return djl;
    }

    static Set<String> noetherNames(PrometheusText metrics) {
        Set<String> names = new TreeSet<>();
        for (String name : metrics.names()) {
            if (name.startsWith("noether_")) names.add(name);
        }
        return names;
    }
}
