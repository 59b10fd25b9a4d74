package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 3, the balance of deep linear nets ([2] Theorem 5.4 and fig. 8; METRICS.md §3, §9.4). In a bias-free chain
 * of linear layers each pair's charge ‖W_l‖² − ‖W_{l+1}‖² is conserved by gradient flow, so the spread of the
 * intermediate layers' squared norms ({@code norm.spread}) is too; SGD's noise drives the chain to its unique
 * equilibrium, where the intermediate layers have the same norm, from any start. Three runs of a five-layer linear net
 * on a noisy linear teacher: SGD from equal and from unequal initial norms, and small-step full-batch GD from the
 * unequal start.
 */
final class BalanceFigure implements Figure {
    private static final int INPUTS = 6;
    private static final int SAMPLES = 128;
    private static final int[] WIDTHS = {8, 8, 8, 8, 3};
    private static final float[] UNEQUAL = {0.3f, 0.6f, 0.15f, 0.45f, 0.3f};
    private static final float[] EQUAL = {0.3f, 0.35f, 0.35f, 0.35f, 0.3f};
    static final double SGD_ETA = 0.05;
    static final double GD_ETA = 0.01;

    @Override
    public String id() {
        return "3-balance";
    }

    @Override
    public String command() {
        return "balance";
    }

    @Override
    public String title() {
        return "Balance of deep linear nets";
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int sgdSteps = c.size(1200, 4000);
        int gdSteps = c.size(400, 2000);
        Samples data = Teachers.noisyLinear(SAMPLES, Teachers.constant(INPUTS, 1), 0.5,
                Teachers.constant(WIDTHS[WIDTHS.length - 1], 2), 11);
        Records records;
        try (FigureLog log = c.log(id())) {
            train("balance-sgd-unequal", UNEQUAL, data, SGD_ETA, 1, sgdSteps, log, c);
            train("balance-sgd-equal", EQUAL, data, SGD_ETA, 1, sgdSteps, log, c);
            train("balance-gd-unequal", UNEQUAL, data, GD_ETA, SAMPLES, gdSteps, log, c);
            records = log.finish();
        }
        String[][] runs = {{"balance-sgd-unequal", "SGD, unequal start"}, {"balance-sgd-equal", "SGD, equal start"},
                {"balance-gd-unequal", "GD, unequal start"}};
        List<JFreeChart> charts = new ArrayList<>();
        List<Series> spreads = new ArrayList<>();
        Map<String, Double> numbers = new LinkedHashMap<>();
        for (String[] run : runs) {
            List<Map<String, Object>> steps = records.steps(run[0]);
            List<Series> norms = new ArrayList<>();
            for (String layer : Records.map(steps.get(0), "layers").keySet()) {
                norms.add(Records.series(layer, steps, "layers", layer, "layer.weight.norm"));
            }
            charts.add(Charts.lines(run[1] + ": layer norms", "step", "layer.weight.norm ‖W_l‖", false, norms, List.of()));
            Series spread = Records.series(run[1], steps, "metrics", "norm.spread");
            spreads.add(spread);
            String key = run[0].substring("balance-".length());
            numbers.put(key + ".spread.first", spread.first());
            numbers.put(key + ".spread.last", spread.last());
            numbers.put(key + ".imbalance.first", Records.number(steps.get(0), "metrics", "norm.imbalance"));
            numbers.put(key + ".imbalance.last", Records.number(steps.get(steps.size() - 1), "metrics", "norm.imbalance"));
        }
        charts.add(Charts.lines("norm.spread: std of the intermediate ‖W_l‖²", "step", "norm.spread (weight units²)", false,
                spreads, List.of()));

        double sgd0 = numbers.get("sgd-unequal.spread.first");
        double sgd1 = numbers.get("sgd-unequal.spread.last");
        double gd0 = numbers.get("gd-unequal.spread.first");
        double gd1 = numbers.get("gd-unequal.spread.last");
        double eq0 = numbers.get("sgd-equal.spread.first");
        double eq1 = numbers.get("sgd-equal.spread.last");
        c.printf("Figure 3 — %s: bias-free linear %d-%s, noisy linear teacher, every step observed%n", title(), INPUTS,
                widths());
        c.printf("  %-32s %-32s %s%n", "run", "theory", "Noether norm.spread first → last (imbalance)");
        c.printf("  %-32s %-32s %.4g → %.4g (%.3f → %.3f)%n", "SGD unequal, " + sgdSteps + " steps", "falls toward 0",
                sgd0, sgd1, numbers.get("sgd-unequal.imbalance.first"), numbers.get("sgd-unequal.imbalance.last"));
        c.printf("  %-32s %-32s %.4g → %.4g (%.3f → %.3f)%n", "SGD equal, " + sgdSteps + " steps", "stays near 0",
                eq0, eq1, numbers.get("sgd-equal.imbalance.first"), numbers.get("sgd-equal.imbalance.last"));
        c.printf("  %-32s %-32s %.6g → %.6g (%+.2g relative)%n", "GD unequal, " + gdSteps + " steps",
                "conserved (≤ 1e-2 relative)", gd0, gd1, (gd1 - gd0) / gd0);
        List<Claim> claims = List.of(
                new Claim("norm.spread under SGD, unequal start", String.format(Locale.ROOT, "falls toward 0 from %.3g", sgd0),
                        String.format(Locale.ROOT, "%.3g (%.0f %% of its start)", sgd1, 100 * sgd1 / sgd0), sgd1 < 0.5 * sgd0),
                new Claim("norm.spread under SGD, equal start", "stays near 0 (balanced)",
                        String.format(Locale.ROOT, "%.3g → %.3g", eq0, eq1), eq1 < 0.5 * sgd0),
                new Claim("norm.spread under small-step GD", String.format(Locale.ROOT, "conserved: %.5g", gd0),
                        String.format(Locale.ROOT, "%.5g (%+.2g relative)", gd1, (gd1 - gd0) / gd0),
                        Math.abs(gd1 - gd0) <= 1e-2 * gd0));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 2, charts);
        String notes = String.format(Locale.ROOT, "DJL, five bias-free Linear layers %d-%s, initial weight std %s (unequal) "
                        + "or %s (equal); y = Ax + noise, x ~ N(0, I), A ~ N(0, 0.5²), noise std 2, %d samples; SGD η = %s batch 1, "
                        + "%d steps; GD η = %s full batch, %d steps; every step observed.", INPUTS, widths(),
                java.util.Arrays.toString(UNEQUAL), java.util.Arrays.toString(EQUAL), SAMPLES, SGD_ETA, sgdSteps, GD_ETA, gdSteps);
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", notes, numbers, false, 0);
    }

    private static String widths() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < WIDTHS.length; i++) {
            s.append(i == 0 ? "" : "-").append(WIDTHS[i]);
        }
        return s.toString();
    }

    private static void train(String name, float[] sigmas, Samples data, double eta, int batch, int steps, FigureLog log,
                              GalleryContext c) {
        try (DjlRun run = new DjlRun(name, Nets.deepLinear(WIDTHS, sigmas), data, new Shape(INPUTS), DjlRun.LossKind.L2, eta,
                0, 5, SAMPLES, GalleryContext.everyStep(Math.max(1, steps / 4)), c.registry(), log.reports())) {
            run.steps(steps, batch);
        }
    }
}
