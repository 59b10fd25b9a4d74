package dev.noether.examples;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.NoetherExporter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * What every demo run shares: the embedded exporter (endpoint and optional event log), the progress line
 * and the end of the run (exit, or hold the endpoint open with {@code --hold}).
 */
final class DemoSession implements AutoCloseable {
    private final TrainingOptions options;
    private final NoetherExporter exporter;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();

    DemoSession(TrainingOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
        NoetherExporter.Builder b = NoetherExporter.builder().port(options.port);
        if (options.events != null) {
            b.eventLog(options.events);
        }
        this.exporter = b.start();
        out.println("Noether page at " + exporter.pageUrl());
        out.println("Noether metrics at " + exporter.url().resolve("/metrics")
                + (options.events == null ? "" : "; event log " + options.events));
    }

    MeterRegistry registry() {
        return exporter.registry();
    }

    /** The exporter's report listener: the page's history and, with --events, the event log. */
    NoetherReportListener reportListener() {
        return exporter.reportListener();
    }

    /** Prints one progress line every {@code --progress-every} steps and at the last step. */
    void progress(long step) {
        if ((step + 1) % options.progressEvery != 0 && step + 1 != options.steps) {
            return;
        }
        MeterRegistry r = registry();
        Gauge firstDead = r.find("noether.neurons.dead").gauge();
        String firstHiddenLayer = firstDead == null ? "-" : firstDead.getId().getTag("layer");
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        out.printf(Locale.ROOT, "step %d/%d  loss %s  charge.drift %s  residual %s  dead %s/%s  distinct %s  "
                        + "phase[%s] %s  analyses %s (skipped %s)  %.0f steps/s%n",
                step + 1, options.steps,
                fmt(value(r.find("noether.loss"))),
                fmt(max(r.find("noether.charge.drift"))),
                fmt(max(r.find("noether.charge.residual"))),
                whole(value(r.find("noether.neurons.dead").tag("layer", firstHiddenLayer))),
                whole(value(r.find("noether.layer.neurons").tag("layer", firstHiddenLayer))),
                whole(value(r.find("noether.neurons.distinct").tag("layer", firstHiddenLayer))),
                firstHiddenLayer, phase(r, firstHiddenLayer),
                whole(count(r.find("noether.analysis").tag("tier", "heavy"))),
                whole(r.find("noether.analysis.skipped").functionCounters().stream()
                        .mapToDouble(c -> c.count()).sum()),
                (step + 1) / Math.max(seconds, 1e-9));
    }

    /** Ends the run: keeps the endpoint up with --hold, then closes (final push, log flush). */
    void finish() throws InterruptedException {
        out.println("Training done. Metrics stay at " + exporter.url().resolve("/metrics")
                + (options.hold ? " until Ctrl-C" : ""));
        if (options.hold) {
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        }
    }

    @Override
    public void close() {
        exporter.close();
    }

    private static String phase(MeterRegistry r, String layer) {
        for (Gauge g : r.find("noether.crh.phase").tag("layer", layer).gauges()) {
            if (g.value() == 1.0) {
                return g.getId().getTag("phase");
            }
        }
        return "-";
    }

    private static double count(Search s) {
        io.micrometer.core.instrument.Timer t = s.timer();
        return t == null ? Double.NaN : t.count();
    }

    private static double value(Search s) {
        Gauge g = s.gauge();
        return g == null ? Double.NaN : g.value();
    }

    private static double max(Search s) {
        return s.gauges().stream().mapToDouble(Gauge::value).filter(Double::isFinite).max().orElse(Double.NaN);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String whole(double v) {
        return Double.isNaN(v) ? "-" : String.valueOf((long) v);
    }
}
