package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Figure 5, weight decay makes neuron blocks ([1] fig. 5, the talk's ResNet-18 figure; METRICS.md §4, §9.5). The
 * loss is symmetric under permuting a layer's neurons; with weight decay γ the permutation-symmetric states
 * (identical neurons, and dead ones, u = w = 0) become minima, so neurons merge into groups whose pre-activations
 * are perfectly correlated. A small residual net ({@link ResidualNet}) classifies ten Gaussian clusters at several γ;
 * Noether's heavy analysis logs the penultimate layer's pre-activation correlation matrix with its average-linkage
 * order, and reports {@code neuron.blocks}, {@code neuron.block.max.size}, {@code neurons.distinct} and
 * {@code neurons.dead}. The figure draws the matrices at γ = 0 and at the largest γ in Noether's order, side by
 * side, and the counts against γ.
 */
final class NeuronBlocksFigure implements Figure {
    static final int INPUTS = 16;
    static final int CLASSES = 10;
    static final int SAMPLES = 2048;
    static final int WIDTH = 64;
    static final int PENULTIMATE = 64;
    static final int UNITS = 2;
    static final double ETA = 0.1;
    static final int BATCH = 64;

    @Override
    public String id() {
        return "5-blocks";
    }

    @Override
    public String command() {
        return "blocks";
    }

    @Override
    public String title() {
        return "Weight decay makes neuron blocks";
    }

    static double[] gammas(boolean quick) {
        return quick ? new double[] {0, 0.03, 0.1} : new double[] {0, 0.01, 0.03, 0.1};
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int steps = c.size(2000, 5000);
        double[] gammas = gammas(c.quick());
        Samples data = blobs(SAMPLES, 5);
        Records records;
        try (FigureLog log = c.log(id())) {
            for (double g : gammas) {
                try (DjlRun run = new DjlRun(model(g), ResidualNet.of(WIDTH, UNITS, PENULTIMATE, CLASSES), data,
                        new Shape(INPUTS), DjlRun.LossKind.SOFTMAX, ETA, g, 3, 512,
                        GalleryContext.everyStep(Math.max(1, steps / 5)), c.registry(), log.reports())) {
                    run.steps(steps, BATCH);
                }
            }
            records = log.finish();
        }
        String layer = penultimate(records.last(model(0), "analysis"));
        c.printf("Figure 5 — %s: residual net %d-%d (%d residual units)-%d-%d, penultimate layer %s, %d SGD steps per γ%n",
                title(), INPUTS, WIDTH, UNITS, PENULTIMATE, CLASSES, layer, steps);
        c.printf("  %8s %14s %22s %17s %13s %14s %9s%n", "γ", "neuron.blocks", "neuron.block.max.size",
                "neurons.distinct", "neurons.dead", "mean |r|", "loss");
        String[] metrics = {"neuron.blocks", "neuron.block.max.size", "neurons.distinct", "neurons.dead"};
        double[][] table = new double[metrics.length][gammas.length];
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<String> categories = new ArrayList<>();
        for (int k = 0; k < gammas.length; k++) {
            Map<String, Object> last = records.last(model(gammas[k]), "analysis");
            for (int m = 0; m < metrics.length; m++) {
                table[m][k] = Records.number(last, "layers", layer, metrics[m]);
                numbers.put(String.format(Locale.ROOT, "%s@%s", metrics[m], gammas[k]), table[m][k]);
            }
            double loss = Records.lastNumber(records.steps(model(gammas[k])), "metrics", "loss");
            c.printf("  %8s %14.0f %22.0f %17.0f %13.0f %14.3f %9.3f%n", gammas[k], table[0][k], table[1][k], table[2][k],
                    table[3][k], Records.number(last, "layers", layer, "neuron.correlation.mean.abs"), loss);
            categories.add("γ = " + gammas[k]);
        }
        int top = gammas.length - 1;
        boolean rising = true; // §9.5: more blocks than the same run without decay, at every γ > 0
        for (int k = 1; k < gammas.length; k++) {
            rising &= table[0][k] >= table[0][0] + 3;
        }
        List<Claim> claims = List.of(
                new Claim("neuron.blocks of the penultimate layer", "rise with γ above " + (int) table[0][0] + " at γ = 0",
                        blocksText(gammas, table[0]), rising),
                new Claim("largest block", "grows with γ", String.format(Locale.ROOT, "%.0f → %.0f", table[1][0], table[1][top]),
                        table[1][top] > table[1][0]),
                new Claim("distinct neurons (the permutation-symmetric state)", "fall with γ",
                        String.format(Locale.ROOT, "%.0f → %.0f of %d", table[2][0], table[2][top], PENULTIMATE),
                        table[2][top] < table[2][0]));

        List<JFreeChart> charts = new ArrayList<>();
        for (double g : new double[] {0, gammas[top]}) {
            Map<String, Object> correlation = Records.map(records.last(model(g), "analysis"), "details", "layers", layer,
                    "correlation");
            charts.add(heatmap(String.format(Locale.ROOT, "pre-activation correlation, γ = %s", g), correlation));
        }
        charts.add(Charts.bars("Penultimate layer against γ", "count", List.of(metrics), categories, table));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 3, charts);
        String notes = String.format(Locale.ROOT, "DJL residual net: Linear %d + ReLU, %d units relu(x + Linear(ReLU(Linear x))) "
                        + "of width %d, penultimate Linear %d + ReLU, head Linear %d; softmax cross-entropy on %d points of ten "
                        + "Gaussian clusters in %d dimensions (centres ~ N(0, 4I), unit spread); plain SGD η = %s, batch %d, %d "
                        + "steps per γ; the matrices are the final heavy analysis's, over a fixed probe batch of 512 points, "
                        + "neurons with zero variance (dead or never active) left out. Post-activation matrices are not drawn: "
                        + "Noether logs the pre-activation correlation only (its neurons.distinct, computed on the weights, is "
                        + "the permutation-symmetric state itself).", WIDTH, UNITS, WIDTH, PENULTIMATE, CLASSES, SAMPLES,
                INPUTS, ETA, BATCH, steps);
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", notes, numbers, false, 0);
    }

    private static String blocksText(double[] gammas, double[] blocks) {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < gammas.length; k++) {
            s.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f at γ = %s", blocks[k], gammas[k]));
        }
        return s.toString();
    }

    /** The heatmap of a logged correlation: {@code matrix} (kept × kept, row-major) in the logged {@code order}. */
    static JFreeChart heatmap(String title, Map<String, Object> correlation) {
        double[] flat = Records.numbers(correlation, "matrix");
        double[] orderValues = Records.numbers(correlation, "order");
        if (flat == null || orderValues == null) {
            throw new IllegalStateException("the event log has no correlation matrix for " + title);
        }
        int n = orderValues.length;
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i][j] = flat[i * n + j];
            }
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) orderValues[i];
        }
        return Charts.heatmap(title + " (" + n + " live neurons)", m, order);
    }

    /** The layer Noether counts blocks for whose consumer is the head: the last layer with neuron.blocks. */
    private static String penultimate(Map<String, Object> analysis) {
        String last = null;
        for (Map.Entry<String, Object> e : Records.map(analysis, "layers").entrySet()) {
            if (e.getValue() instanceof Map<?, ?> m && m.containsKey("neuron.blocks")) {
                last = e.getKey();
            }
        }
        if (last == null) {
            throw new IllegalStateException("no layer with neuron.blocks in " + analysis.get("model"));
        }
        return last;
    }

    static String model(double g) {
        return String.format(Locale.ROOT, "blocks-gamma-%s", g);
    }

    /** Ten Gaussian clusters in 16 dimensions: centres ~ N(0, 4I), points ~ centre + N(0, I); label = cluster. */
    static Samples blobs(int samples, long seed) {
        Random r = new Random(seed);
        double[][] centres = new double[CLASSES][INPUTS];
        for (double[] centre : centres) {
            for (int j = 0; j < INPUTS; j++) {
                centre[j] = 2 * r.nextGaussian();
            }
        }
        float[] x = new float[samples * INPUTS];
        float[] y = new float[samples];
        for (int s = 0; s < samples; s++) {
            int k = r.nextInt(CLASSES);
            y[s] = k;
            for (int j = 0; j < INPUTS; j++) {
                x[s * INPUTS + j] = (float) (centres[k][j] + r.nextGaussian());
            }
        }
        return new Samples(samples, INPUTS, 1, x, y);
    }
}
