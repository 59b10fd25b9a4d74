package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 2, Noether's theorem and its breakdown ([2], the talk's section 3; METRICS.md §2, §9.1, §9.2). A ReLU MLP
 * has a rescaling symmetry per hidden neuron, so gradient flow conserves each charge C_i = ‖w_i‖² + b_i² − ‖u_i‖².
 * Plain SGD with weight decay γ obeys exactly C(t+1) = (1 − ηγ)² C(t) + η²(‖ĝ_w‖² + ĝ_b² − ‖ĝ_u‖²): small-step
 * full-batch GD keeps the charge (drift O(η²)), minibatch SGD with a large step moves it (the η² noise term), and
 * weight decay shrinks it by (1 − ηγ)² per step. Three runs of one network from one start; Noether's
 * {@code charge.drift}, {@code charge} and {@code charge.residual} (the exact identity's residual) at every step.
 */
final class NoetherTheoremFigure implements Figure {
    private static final int INPUTS = 8;
    private static final int OUTPUTS = 4;
    private static final int SAMPLES = 128;
    static final double GD_ETA = 0.01;
    static final double SGD_ETA = 0.5;
    static final int SGD_BATCH = 4;
    static final double WD_ETA = 0.05;
    static final double WD_GAMMA = 0.05;
    static final int WD_BATCH = 16;

    @Override
    public String id() {
        return "2-noether";
    }

    @Override
    public String command() {
        return "noether";
    }

    @Override
    public String title() {
        return "Noether's theorem and its breakdown";
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int steps = c.size(400, 3000);
        Samples data = Teachers.tanh(SAMPLES, INPUTS, OUTPUTS, 2);
        Records records;
        try (FigureLog log = c.log(id())) {
            train("noether-gd", data, GD_ETA, 0, SAMPLES, steps, log, c);
            train("noether-sgd", data, SGD_ETA, 0, SGD_BATCH, steps, log, c);
            train("noether-sgd-decay", data, WD_ETA, WD_GAMMA, WD_BATCH, steps, log, c);
            records = log.finish();
        }
        String pair = firstPair(records.last("noether-gd", "step"));
        Series gdDrift = Records.series("GD η=" + GD_ETA + ", full batch", records.steps("noether-gd"), "pairs", pair, "charge.drift");
        Series sgdDrift = Records.series("SGD η=" + SGD_ETA + ", batch " + SGD_BATCH, records.steps("noether-sgd"), "pairs", pair,
                "charge.drift");
        Series wdDrift = Records.series("SGD η=" + WD_ETA + " + decay γ=" + WD_GAMMA, records.steps("noether-sgd-decay"), "pairs",
                pair, "charge.drift");
        Series charge = Records.series("Q(t)/Q(0), SGD + decay", records.steps("noether-sgd-decay"), "pairs", pair, "charge");
        double q0 = charge.first();
        double[] ratio = new double[charge.size()];
        double[] theory = new double[charge.size()];
        double perStep = (1 - WD_ETA * WD_GAMMA) * (1 - WD_ETA * WD_GAMMA);
        for (int i = 0; i < ratio.length; i++) {
            ratio[i] = charge.y()[i] / q0;
            theory[i] = Math.pow(perStep, charge.x()[i] - charge.x()[0]);
        }
        Series measuredRatio = new Series("Noether: Q(t)/Q(0), SGD + decay", charge.x(), ratio);
        Series theoryRatio = new Series("theory (1 − ηγ)^2t", charge.x(), theory);
        // the decay phase: the first half, before the η² noise term and the decay balance
        Fit fit = Fit.logAbs(charge.between(0, steps / 2.0));
        double measuredPerStep = Math.exp(fit.slope());

        List<Series> residuals = new ArrayList<>();
        double maxResidual = 0;
        for (String[] run : new String[][] {{"noether-gd", "GD"}, {"noether-sgd", "SGD"}, {"noether-sgd-decay", "SGD + decay"}}) {
            Series r = Records.series(run[1], records.steps(run[0]), "pairs", pair, "charge.residual");
            residuals.add(r);
            for (double v : r.y()) {
                maxResidual = Math.max(maxResidual, v);
            }
        }
        double gdFinal = gdDrift.last();
        double sgdFinal = sgdDrift.last();
        double sgdHalf = sgdDrift.between(0, steps / 2.0).last();

        c.printf("Figure 2 — %s: ReLU MLP %d-32-32-%d, pair %s, %d steps per run, every step observed (observeEvery=1)%n",
                title(), INPUTS, OUTPUTS, pair, steps);
        c.printf("  %-34s %-26s %s%n", "quantity", "theory", "Noether");
        c.printf("  %-34s %-26s %.3g%n", "charge.drift, small-step GD", "≈ 0 (O(η²), < 1e-3)", gdFinal);
        c.printf("  %-34s %-26s %.3g (at step %d: %.3g; %.0f× GD)%n", "charge.drift, SGD", "grows, then equilibrates",
                sgdFinal, steps / 2, sgdHalf, sgdFinal / gdFinal);
        c.printf("  %-34s %-26s %.6f (fit over steps 0..%d)%n", "Q(t+1)/Q(t), SGD + decay", String.format(Locale.ROOT,
                "(1 − ηγ)² = %.6f", perStep), measuredPerStep, steps / 2);
        c.printf("  %-34s %-26s %.3g%n", "max charge.residual, all steps", "0 (round-off)", maxResidual);

        Map<String, Double> numbers = new LinkedHashMap<>();
        numbers.put("gd.drift", gdFinal);
        numbers.put("sgd.drift", sgdFinal);
        numbers.put("sgd.drift.half", sgdHalf);
        numbers.put("decay.per.step.predicted", perStep);
        numbers.put("decay.per.step.measured", measuredPerStep);
        numbers.put("residual.max", maxResidual);
        List<Claim> claims = List.of(
                new Claim("charge.drift after " + steps + " small-step GD steps", "≈ 0 (< 1e-3)", fmt(gdFinal), gdFinal < 1e-3),
                new Claim("charge.drift under SGD", "≫ GD (noise breaks the conservation)",
                        fmt(sgdFinal) + String.format(Locale.ROOT, " (%.0f× GD)", sgdFinal / gdFinal), sgdFinal > 10 * gdFinal),
                new Claim("charge per step under SGD + decay", String.format(Locale.ROOT, "(1 − ηγ)² = %.6f", perStep),
                        String.format(Locale.ROOT, "%.6f", measuredPerStep),
                        Math.abs(Math.log(measuredPerStep) / Math.log(perStep) - 1) < 0.05),
                new Claim("charge.residual (the exact SGD identity)", "0 (round-off, ≤ 1e-5)", fmt(maxResidual), maxResidual <= 1e-5));

        List<JFreeChart> charts = new ArrayList<>();
        charts.add(Charts.lines("Noether charge drift: conserved by GD, not by SGD", "step", "charge.drift (log)", true,
                List.of(gdDrift, sgdDrift, wdDrift), List.of()));
        charts.add(Charts.lines("Weight decay shrinks the charge", "step", "Q(t) / Q(0) (log)", true,
                List.of(measuredRatio), List.of(theoryRatio)));
        charts.add(Charts.lines("The exact one-step identity holds at every step", "step", "charge.residual (log)", true,
                residuals, List.of()));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 3, charts);
        String notes = String.format(Locale.ROOT, "DJL ReLU MLP %d-32-32-%d (Xavier start, seed 12) on %d samples of a tanh "
                + "teacher; GD η = %s full batch; SGD η = %s batch %d; SGD η = %s batch %d with weight decay γ = %s; %d steps "
                + "each, every step observed.", INPUTS, OUTPUTS, SAMPLES, GD_ETA, SGD_ETA, SGD_BATCH, WD_ETA, WD_BATCH, WD_GAMMA, steps);
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", notes, numbers, false, 0);
    }

    private static void train(String name, Samples data, double eta, double gamma, int batch, int steps, FigureLog log,
                              GalleryContext c) {
        try (DjlRun run = new DjlRun(name, Nets.relu(32, 32, OUTPUTS), data, new Shape(INPUTS), DjlRun.LossKind.L2, eta,
                gamma, 12, SAMPLES, GalleryContext.everyStep(Math.max(1, steps / 4)), c.registry(), log.reports())) {
            run.steps(steps, batch);
        }
    }

    /** The first pair Noether reports (the first hidden layer and the next). */
    static String firstPair(Map<String, Object> step) {
        Map<String, Object> pairs = Records.map(step, "pairs");
        if (pairs == null || pairs.isEmpty()) {
            throw new IllegalStateException("no pair in the step record of " + step.get("model"));
        }
        return pairs.keySet().iterator().next();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
