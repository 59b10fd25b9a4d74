package dev.noether.examples.gallery;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.NoetherExporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code gallery}: the talk's results reproduced by Noether's own metrics, one figure each. Every figure trains small
 * models on the CPU, reads back only what Noether wrote to its event log, prints the theory's prediction beside the
 * measurement, and draws a PNG; {@code index.html} links them all. {@code gallery <figure>} draws one.
 */
@Command(name = "gallery", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The physics gallery: the talk's results ([1]-[3]) reproduced on small CPU models and drawn only "
                + "from Noether's metrics and event log. Without a subcommand: every figure, then index.html.",
                "Figures: 1 threshold, 2 noether, 3 balance, 4 sgd-vs-gd, 5 blocks, 6 crh, 7 pah, 8 charge-forces."},
        subcommands = {GalleryCommand.One.Threshold.class, GalleryCommand.One.Noether.class, GalleryCommand.One.Balance.class,
                GalleryCommand.One.SgdVsGd.class, GalleryCommand.One.Blocks.class, GalleryCommand.One.Crh.class,
                GalleryCommand.One.Pah.class, GalleryCommand.One.ChargeForces.class})
public final class GalleryCommand implements Callable<Integer> {
    /** Every figure, in the gallery's order. */
    static List<Figure> figures() {
        return List.of(new ThresholdFigure(), new NoetherTheoremFigure(), new BalanceFigure(), new SgdGdFigure(),
                new NeuronBlocksFigure(), new CanonicalFigure(), new PolynomialFigure(), new ChargeForcesFigure());
    }

    /** Held so that the level stays set (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("dev.noether");

    @Mixin
    GalleryOptions options = new GalleryOptions();

    /** Where the tables go (tests read them too). */
    PrintStream console = System.out;

    /** What the last call drew. */
    private List<FigureResult> results = List.of();

    @Override
    public Integer call() throws Exception {
        return draw(figures());
    }

    /** The figures of the last call, in order (empty before). */
    List<FigureResult> results() {
        return results;
    }

    /**
     * Draws {@code figures} into {@code --out}, then writes the report; 0 when every binding claim agrees, 1 when one
     * disagrees, 2 for bad flags.
     */
    int draw(List<Figure> figures) throws Exception {
        List<FigureResult> drawn = new ArrayList<>();
        try {
            return run(options, figures, console, drawn);
        } finally {
            results = List.copyOf(drawn);
        }
    }

    private static int run(GalleryOptions options, List<Figure> figures, PrintStream console, List<FigureResult> results)
            throws Exception {
        if (options.out == null) {
            System.err.println("gallery: --out DIR is required (the folder for the PNGs, event logs and index.html)");
            return 2;
        }
        System.setProperty("ai.djl.offline", "true"); // never call home
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            // small models: one libtorch thread; more oversubscribe a small machine badly
            System.setProperty("ai.djl.pytorch.num_threads", "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        System.setProperty("java.awt.headless", "true");
        QUIET.setLevel(java.util.logging.Level.WARNING); // the tables, not one INFO line per run
        Files.createDirectories(options.out);
        NoetherExporter page = options.port == null ? null : NoetherExporter.builder().port(options.port).start();
        try {
            if (page != null) {
                console.println("Noether page at " + page.pageUrl() + " (every figure's runs, live)");
            }
            NoetherReportListener listener = page == null ? null : page.reportListener();
            GalleryContext context = new GalleryContext(options.out, options.quick, console, listener,
                    page == null ? null : page.registry());
            for (Figure f : figures) {
                long start = System.nanoTime();
                FigureResult r = f.draw(context).took((System.nanoTime() - start) / 1e9);
                results.add(r);
                for (Claim c : r.claims()) {
                    console.printf("  %s %s: theory %s, Noether %s%n", c.holds() ? "agrees   " : c.binding() ? "DISAGREES" : "differs  ", c.quantity(),
                            c.predicted(), c.measured());
                }
                console.printf("  %s: %s in %.0f s%n%n", r.id(), r.stub() ? "stub" : String.join(", ", r.pngs()), r.seconds());
            }
            Path index = GalleryReport.write(options.out, results, options.quick);
            long binding = results.stream().flatMap(r -> r.claims().stream()).filter(Claim::binding).count();
            long agree = results.stream().flatMap(r -> r.claims().stream()).filter(c -> c.binding() && c.holds()).count();
            console.printf("gallery: %d of %d claims agree (figures: %d drawn, %d stubs)%n", agree, binding,
                    results.stream().filter(r -> !r.stub()).count(), results.stream().filter(FigureResult::stub).count());
            console.println("report: " + index.toAbsolutePath());
            return results.stream().allMatch(r -> r.stub() || r.allHold()) ? 0 : 1;
        } finally {
            if (page != null) {
                page.close();
            }
        }
    }

    /** The flags of {@code gallery} and of each figure's subcommand. */
    static final class GalleryOptions {
        @Option(names = "--out", paramLabel = "DIR", description = "Folder for the PNGs, the event logs (one per figure) "
                + "and index.html; created if missing.")
        Path out;

        @Option(names = "--quick", description = "The reduced sizes CI runs (fewer steps and values of γ; the claims still "
                + "hold). Default: the full sizes.")
        boolean quick;

        @Option(names = "--port", description = "Serve the live Noether page on this port while the figures train "
                + "(0: a free one). Default: no page; replay a figure's event log later with the exporter's `ui`.")
        Integer port;
    }

    /** One subcommand per figure: the same flags, that figure only (its index.html shows it alone). */
    abstract static class One implements Callable<Integer> {
        @Mixin
        GalleryOptions options = new GalleryOptions();

        abstract Figure figure();

        @Override
        public Integer call() throws Exception {
            GalleryCommand one = new GalleryCommand();
            one.options = options;
            return one.draw(List.of(figure()));
        }

        @Command(name = "threshold", mixinStandardHelpOptions = true,
                description = "Figure 1: the dead-neuron transition of ½(uwx − y)² + γ/2(u² + w²) at γ_c = E[xy] (DJL) "
                        + "and 2E[xy] (DL4J's MSE); prints `threshold: predicted <γ_c> measured <γ>`.")
        static final class Threshold extends One {
            Figure figure() { return new ThresholdFigure(); }
        }

        @Command(name = "noether", mixinStandardHelpOptions = true,
                description = "Figure 2: Noether's theorem and its breakdown: charge drift under small-step GD (≈ 0), SGD "
                        + "(grows, equilibrates), SGD + weight decay ((1 − ηγ)^2t), and the exact identity's residual.")
        static final class Noether extends One {
            Figure figure() { return new NoetherTheoremFigure(); }
        }

        @Command(name = "balance", mixinStandardHelpOptions = true,
                description = "Figure 3: a deep linear net's intermediate layer norms balance under SGD (norm.spread → 0) "
                        + "from equal and unequal starts, and keep their spread under GD.")
        static final class Balance extends One {
            Figure figure() { return new BalanceFigure(); }
        }

        @Command(name = "sgd-vs-gd", mixinStandardHelpOptions = true,
                description = "Figure 4: a two-layer tanh net: WΣxWᵀ against UᵀΣεU (Noether's H vs G alignment) under SGD "
                        + "(similar) and GD (dissimilar).")
        static final class SgdVsGd extends One {
            Figure figure() { return new SgdGdFigure(); }
        }

        @Command(name = "blocks", mixinStandardHelpOptions = true,
                description = "Figure 5: weight decay makes neuron blocks in a small residual net's penultimate layer: "
                        + "correlation matrices at γ = 0 and γ > 0, block counts against γ.")
        static final class Blocks extends One {
            Figure figure() { return new NeuronBlocksFigure(); }
        }

        @Command(name = "crh", mixinStandardHelpOptions = true,
                description = "Figure 6: canonical representations: the six CRH alignments of the penultimate and output "
                        + "layers against their random baselines.")
        static final class Crh extends One {
            Figure figure() { return new CanonicalFigure(); }
        }

        @Command(name = "pah", mixinStandardHelpOptions = true,
                description = "Figure 7: polynomial alignment: λ_H against λ_G per layer with the fitted and the predicted "
                        + "exponents (per head once attention layers are supported).")
        static final class Pah extends One {
            Figure figure() { return new PolynomialFigure(); }
        }

        @Command(name = "charge-forces", mixinStandardHelpOptions = true,
                description = "Figure 8: what moves the charge: the four parts of charge.drift.rate.part (decay, optimizer, "
                        + "gradient, step) stacked against the observed rate under SGD, heavy-ball momentum and Adam.")
        static final class ChargeForces extends One {
            Figure figure() { return new ChargeForcesFigure(); }
        }
    }
}
