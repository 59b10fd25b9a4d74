package dev.noether.examples;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.NoetherExporter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;

import java.io.PrintStream;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What every demo run shares: the embedded exporter (endpoint and optional event log), the progress line,
 * the stop (Ctrl-C, or {@code --steps}) and the end of the run (exit, or hold the endpoint open with
 * {@code --hold}). On Ctrl-C the training loop ends at the next step, the final state is analysed and the
 * session closes before the JVM exits.
 */
final class DemoSession implements AutoCloseable {
    private final TrainingOptions options;
    private final NoetherExporter exporter;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    /** Set by the Ctrl-C hook: the training loop ends at the next step. */
    private volatile boolean stopRequested;
    /** Counted down when the session has closed, so that the Ctrl-C hook lets the JVM exit only then. */
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread stopHook = new Thread(this::stopAndWait, "noether-demo-stop");
    private long trainedSteps = -1;

    DemoSession(TrainingOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
        NoetherExporter.Builder b = NoetherExporter.builder().port(options.port);
        if (options.events != null) {
            b.eventLog(options.events);
        }
        if (options.run != null) b.run(options.run);
        if (options.worker != null) b.worker(options.worker);
        if (options.targets != null) b.targets(options.targets);
        this.exporter = b.start();
        out.println("Noether page at " + exporter.pageUrl());
        out.println("Noether metrics at " + exporter.url().resolve("/metrics")
                + (options.events == null ? "" : "; event log " + options.events));
        announceRun();
    }

    private void announceRun() {
        out.println(options.steps == 0 ? "Training until Ctrl-C (or pass --steps N)." : "Training " + options.steps
                + " steps" + (options.hold ? ", then holding the endpoint until Ctrl-C." : "; Ctrl-C stops earlier."));
        Runtime.getRuntime().addShutdownHook(stopHook);
    }

    /** True while training should go on: below {@code --steps} (when set) and no Ctrl-C. */
    boolean keepTraining(long stepsDone) {
        return !stopRequested && (options.steps == 0 || stepsDone < options.steps);
    }

    /** Records how many steps were trained, for the closing line. */
    void trained(long steps) {
        this.trainedSteps = steps;
    }

    private void stopAndWait() {
        stopRequested = true;
        try {
            // the loop stops at the next step; the final analysis is bounded by 10 s
            closed.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        out.println(progressLine(step));
    }

    private String progressLine(long step) {
        MeterRegistry r = registry();
        Gauge firstDead = r.find("noether.neurons.dead").gauge();
        String firstHiddenLayer = firstDead == null ? "-" : firstDead.getId().getTag("layer");
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return String.format(Locale.ROOT, "step %s  loss %s  charge.drift %s  residual %s  dead %s/%s  distinct %s  "
                        + "phase %s  analyses %s (skipped %s)  observed %s cost %s  %.0f steps/s  %.0f s",
                options.steps == 0 ? String.valueOf(step + 1) : (step + 1) + "/" + options.steps,
                fmt(value(r.find("noether.loss"))),
                fmt(max(r.find("noether.charge.drift"))),
                fmt(max(r.find("noether.charge.residual"))),
                whole(value(r.find("noether.neurons.dead").tag("layer", firstHiddenLayer))),
                whole(value(r.find("noether.layer.neurons").tag("layer", firstHiddenLayer))),
                whole(value(r.find("noether.neurons.distinct").tag("layer", firstHiddenLayer))),
                phases(r),
                whole(count(r.find("noether.analysis").tag("tier", "heavy"))),
                whole(r.find("noether.analysis.skipped").functionCounters().stream()
                        .mapToDouble(c -> c.count()).sum()),
                percent(value(r.find("noether.monitor.observed.fraction"))),
                percent(value(r.find("noether.monitor.overhead"))),
                (step + 1) / Math.max(seconds, 1e-9), seconds);
    }

    /**
     * Ends the run, after the final analysis: says what happened, keeps the endpoint up with --hold (until
     * Ctrl-C), then returns so that {@link #close()} stops it.
     */
    void finish() throws InterruptedException {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String how = stopRequested ? "Stopped (Ctrl-C)" : "Training done";
        out.printf(Locale.ROOT, "%s after %d steps in %.0f s; final state: phase %s, analyses %s.%n", how,
                Math.max(trainedSteps, 0), seconds, phases(registry()),
                whole(count(registry().find("noether.analysis").tag("tier", "heavy"))));
        if (options.hold && !stopRequested) {
            out.println("Metrics stay at " + exporter.url().resolve("/metrics") + " until Ctrl-C.");
            while (!stopRequested) {
                Thread.sleep(200);
            }
        }
        out.println("The metrics endpoint closes now.");
    }

    @Override
    public void close() {
        try {
            exporter.close();
        } finally {
            closed.countDown();
            if (!stopRequested) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopHook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting anyway
                }
            }
        }
    }

    /** The CRH phase of every layer that has one, e.g. "01Linear=none 03Linear=5". */
    private static String phases(MeterRegistry r) {
        StringJoiner all = new StringJoiner(" ");
        r.find("noether.crh.phase").gauges().stream().map(g -> g.getId().getTag("layer")).distinct().sorted()
                .forEach(layer -> all.add(layer + "=" + phase(r, layer)));
        return all.length() == 0 ? "-" : all.toString();
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

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    private static String whole(double v) {
        return Double.isNaN(v) ? "-" : String.valueOf((long) v);
    }
}
