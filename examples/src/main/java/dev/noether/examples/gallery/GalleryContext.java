package dev.noether.examples.gallery;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReportListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What every figure of one gallery run shares: the output folder, the size ({@code --quick} or full), the console,
 * the live page's report listener and registry when the gallery serves one, and runs that two figures read (figures
 * 6 and 7 read the same trained MLP).
 */
final class GalleryContext {
    private final Path out;
    private final boolean quick;
    private final PrintStream console;
    private final NoetherReportListener page;
    private final MeterRegistry pageRegistry;
    private final Map<String, Object> shared = new HashMap<>();

    GalleryContext(Path out, boolean quick, PrintStream console, NoetherReportListener page, MeterRegistry pageRegistry) {
        this.out = out;
        this.quick = quick;
        this.console = console;
        this.page = page;
        this.pageRegistry = pageRegistry;
    }

    Path out() {
        return out;
    }

    boolean quick() {
        return quick;
    }

    /** {@code quick} under {@code --quick}, else {@code full}. */
    int size(int quick, int full) {
        return this.quick ? quick : full;
    }

    PrintStream console() {
        return console;
    }

    void printf(String format, Object... args) {
        console.printf(Locale.ROOT, format, args);
    }

    /** Opens the event log of figure {@code id}: {@code <out>/<id>.jsonl}. */
    FigureLog log(String id) throws IOException {
        return new FigureLog(out.resolve(id + ".jsonl"), page);
    }

    /** The registry a run's listener publishes to: the page's when one is served (a model tag per run), else its own. */
    MeterRegistry registry() {
        return pageRegistry != null ? pageRegistry : new SimpleMeterRegistry();
    }

    /**
     * The monitor settings of every figure run: the step tier observes every step and every due heavy analysis runs
     * (overhead budget and analysis share lifted, no time floor), because a figure needs every point; a user's
     * training keeps the 2 % budget.
     */
    static NoetherConfig everyStep(int analysisEvery) {
        return NoetherConfig.builder().observeEvery(1).overheadBudget(1).analysisEvery(analysisEvery)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).build();
    }

    /** A value computed once per gallery run and shared by the figures that read it. */
    @SuppressWarnings("unchecked")
    <T> T shared(String key, Supplier<T> compute) {
        Object v = shared.get(key);
        if (v == null) {
            v = compute.get();
            shared.put(key, v);
        }
        return (T) v;
    }
}
