package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherConfig;
import org.jfree.chart.JFreeChart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 8, what moves the charge (METRICS.md §11): each observed step of a pair charge, Q(t+1) − Q(t), split
 * exactly into four parts ({@code charge.drift.rate.part{part=decay|optimizer|gradient|step}}, each over S(t)): weight
 * decay, the optimizer's own memory or preconditioning, the first-order gradient term (0 by the symmetry) and the
 * second-order step. One ReLU MLP from one start under plain SGD, heavy-ball momentum and Adam, every step observed
 * with a window of one step, so each step record carries that step's parts. The theory: the parts sum to the
 * observed rate; under SGD the optimizer part is 0 and the decay part −2ηγQ/S; under Adam the optimizer part is the
 * largest; heavy ball has an exact one-step prediction ({@code charge.residual} at round-off).
 */
final class ChargeForcesFigure implements Figure {
    static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};
    /** The three runs: model name in the event log, label. */
    static final String[][] RUNS = {{"forces-sgd", "SGD"}, {"forces-momentum", "heavy ball"}, {"forces-adam", "Adam"}};
    static final float SGD_ETA = 0.05f;
    static final float SGD_GAMMA = 0.01f;
    static final float MOMENTUM_ETA = 0.02f;
    static final float MOMENTUM_MU = 0.9f;
    static final float MOMENTUM_GAMMA = 0.01f;
    static final float ADAM_ETA = 0.003f;
    static final float ADAM_GAMMA = 1e-3f;
    private static final int INPUTS = 8;
    private static final int OUTPUTS = 4;
    private static final int SAMPLES = 512;
    private static final int BATCH = 16;
    private static final int BINS = 20;
    /**
     * Every step observed, reported with a window of one step (analysisEvery 1: the rate and its parts are that
     * step's, not a window's mean); the heavy analysis, not what this figure reads, at most once an hour.
     */
    private static final NoetherConfig CONFIG = NoetherConfig.builder()
            .observeEvery(1).overheadBudget(1).analysisEvery(1).minAnalysisInterval(Duration.ofHours(1))
            .maxAnalysisShare(1).build();

    @Override
    public String id() {
        return "8-charge-forces";
    }

    @Override
    public String command() {
        return "charge-forces";
    }

    @Override
    public String title() {
        return "What moves the charge";
    }

    static int steps(boolean quick) {
        return quick ? 150 : 1000;
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int steps = steps(c.quick());
        Samples data = Teachers.tanh(SAMPLES, INPUTS, OUTPUTS, 8);
        Records records;
        try (FigureLog log = c.log(id())) {
            train(RUNS[0][0], data, DjlRun.sgd(SGD_ETA, SGD_GAMMA), steps, log, c);
            train(RUNS[1][0], data, Optimizer.sgd().setLearningRateTracker(Tracker.fixed(MOMENTUM_ETA))
                    .optMomentum(MOMENTUM_MU).optWeightDecays(MOMENTUM_GAMMA).build(), steps, log, c);
            train(RUNS[2][0], data, Optimizer.adam().optLearningRateTracker(Tracker.fixed(ADAM_ETA))
                    .optWeightDecays(ADAM_GAMMA).build(), steps, log, c);
            records = log.finish();
        }
        String pair = NoetherTheoremFigure.firstPair(records.last(RUNS[0][0], "step"));
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<JFreeChart> charts = new ArrayList<>();
        double[][] shares = new double[PARTS.length][RUNS.length];
        List<Series> sumErrors = new ArrayList<>();
        for (int k = 0; k < RUNS.length; k++) {
            String run = RUNS[k][0];
            String key = run.substring("forces-".length());
            Budget b = Budget.of(records.steps(run));
            numbers.put(key + ".steps", (double) b.steps);
            numbers.put(key + ".sum.error", b.sumError);
            numbers.put(key + ".rate.mean.abs", b.meanAbsRate);
            double total = 0;
            for (int p = 0; p < PARTS.length; p++) {
                numbers.put(key + "." + PARTS[p] + ".mean.abs", b.meanAbs[p]);
                total += b.meanAbs[p];
            }
            for (int p = 0; p < PARTS.length; p++) {
                shares[p][k] = b.meanAbs[p] / total;
            }
            numbers.put(key + ".optimizer.max.abs", b.maxAbsOptimizer);
            numbers.put(key + ".residual.max", b.maxResidual);
            numbers.put(key + ".residual.steps", (double) b.residuals);
            List<Map<String, Object>> observed = records.steps(run);
            List<Series> parts = new ArrayList<>();
            for (String part : PARTS) {
                parts.add(binned(part, Records.series(part, observed, "pairs", pair, "charge.drift.rate.part." + part), steps));
            }
            Series rate = binned("observed charge.drift.rate", Records.series("rate", observed, "pairs", pair,
                    "charge.drift.rate"), steps);
            charts.add(Charts.stacked(RUNS[k][1] + ": what moved the charge of pair " + pair, "step (mean over "
                    + Math.max(1, steps / BINS) + " steps)", "per step, over the pair's scale S", parts, rate));
            sumErrors.add(b.sumErrors.named(RUNS[k][1]));
        }
        double sgdDecayError = decayError(records.steps(RUNS[0][0]), SGD_ETA, SGD_GAMMA);
        numbers.put("sgd.decay.error", sgdDecayError);

        charts.add(Charts.bars("Each part's share of the charge's motion", "mean |part| / Σ mean |parts| (every pair)",
                List.of(PARTS), Arrays.stream(RUNS).map(r -> r[1]).toList(), shares));
        List<Series> residuals = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            residuals.add(Records.series(RUNS[k][1], records.steps(RUNS[k][0]), "pairs", pair, "charge.residual"));
        }
        Series bound = new Series("bound 1e-5", new double[] {0, steps}, new double[] {1e-5, 1e-5});
        charts.add(Charts.lines("Exact one-step law: SGD and heavy ball", "step", "charge.residual (log)", true, residuals,
                List.of(bound)));
        charts.add(Charts.lines("The four parts sum to the observed rate", "step",
                "|Σ parts − observed| / Σ |parts| (log)", true, sumErrors, List.of()));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 3, charts);

        double sgdOptimizer = numbers.get("sgd.optimizer.max.abs");
        double momentumResidual = numbers.get("momentum.residual.max");
        double momentumResidualSteps = numbers.get("momentum.residual.steps");
        double momentumSteps = numbers.get("momentum.steps");
        double[] adam = new double[PARTS.length];
        for (int p = 0; p < PARTS.length; p++) {
            adam[p] = numbers.get("adam." + PARTS[p] + ".mean.abs");
        }
        double maxSumError = Math.max(numbers.get("sgd.sum.error"), Math.max(numbers.get("momentum.sum.error"),
                numbers.get("adam.sum.error")));

        c.printf("Figure 8 — %s: ReLU MLP %d-32-32-%d, pair %s (claims over every pair), %d steps per optimizer, batch %d, "
                + "every step observed%n", title(), INPUTS, OUTPUTS, pair, steps, BATCH);
        c.printf("  mean |part| per step over S (every pair)%n  %-11s %10s %10s %10s %10s %10s%n", "optimizer", "decay",
                "optimizer", "gradient", "step", "|observed|");
        for (String[] run : RUNS) {
            String key = run[0].substring("forces-".length());
            c.printf("  %-11s %10.3g %10.3g %10.3g %10.3g %10.3g%n", run[1], numbers.get(key + ".decay.mean.abs"),
                    numbers.get(key + ".optimizer.mean.abs"), numbers.get(key + ".gradient.mean.abs"),
                    numbers.get(key + ".step.mean.abs"), numbers.get(key + ".rate.mean.abs"));
        }

        List<Claim> claims = new ArrayList<>();
        for (String[] run : RUNS) {
            String key = run[0].substring("forces-".length());
            double e = numbers.get(key + ".sum.error");
            claims.add(new Claim(run[1] + ": Σ parts − observed rate, every step", "0 (round-off, ≤ 1e-9 of Σ|parts|)",
                    fmt(e) + " (max)", e <= 1e-9));
        }
        claims.add(new Claim("SGD: optimizer part", "0 (round-off, |·| < 1e-7)", fmt(sgdOptimizer) + " (max |·|)",
                sgdOptimizer < 1e-7));
        claims.add(new Claim("SGD: decay part", "−2ηγ·Q/S of the step before", fmt(sgdDecayError) + " (max relative error)",
                sgdDecayError <= 1e-6));
        claims.add(new Claim("heavy ball: charge.residual, every step from 2", "0 (round-off, ≤ 1e-5)",
                fmt(momentumResidual) + String.format(Locale.ROOT, " (max over %.0f of %.0f steps)", momentumResidualSteps,
                        momentumSteps - 1), momentumResidual <= 1e-5 && momentumResidualSteps >= momentumSteps - 1));
        claims.add(new Claim("Adam: largest mean |part|", "optimizer (preconditioning)", String.format(Locale.ROOT,
                "optimizer %.3g; decay %.3g, gradient %.3g, step %.3g", adam[1], adam[0], adam[2], adam[3]),
                adam[1] > adam[0] && adam[1] > adam[2] && adam[1] > adam[3]));
        claims.add(new Claim("Adam: gradient part", "0 (the symmetry; < 1e-6 of the optimizer part)",
                String.format(Locale.ROOT, "%.3g (%.2g of optimizer)", adam[2], adam[2] / adam[1]), adam[2] < 1e-6 * adam[1]));
        numbers.put("sum.error.max", maxSumError);

        String notes = String.format(Locale.ROOT, "DJL ReLU MLP %d-32-32-%d (Xavier start, seed 12) on %d samples of a tanh "
                + "teacher, batch %d, %d steps per optimizer, every step observed and reported alone: SGD η = %s, L2 γ = %s; "
                + "heavy ball η = %s, μ = %s, L2 γ = %s; Adam η = %s, L2 γ = %s. Bars: the four parts, mean over %d steps, "
                + "stacked (positive up, negative down); line: the observed rate.", INPUTS, OUTPUTS, SAMPLES, BATCH, steps,
                SGD_ETA, SGD_GAMMA, MOMENTUM_ETA, MOMENTUM_MU, MOMENTUM_GAMMA, ADAM_ETA, ADAM_GAMMA, Math.max(1, steps / BINS));
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", notes, numbers, false, 0);
    }

    private static void train(String name, Samples data, Optimizer optimizer, int steps, FigureLog log, GalleryContext c) {
        try (DjlRun run = new DjlRun(name, Nets.relu(32, 32, OUTPUTS), data, new Shape(INPUTS), DjlRun.LossKind.L2,
                optimizer, 12, SAMPLES, CONFIG, c.registry(), log.reports())) {
            run.steps(steps, BATCH);
        }
    }

    /**
     * The largest relative distance, over every pair and step, between SGD's decay part and −2ηγ·Q/S read from the
     * step before ({@code charge.relative}), the plain-SGD law of §11.
     */
    private static double decayError(List<Map<String, Object>> steps, float eta, float gamma) {
        double worst = 0;
        for (int i = 1; i < steps.size(); i++) {
            Map<String, Object> before = steps.get(i - 1);
            Map<String, Object> now = steps.get(i);
            if (Records.number(now, "step") != Records.number(before, "step") + 1) {
                continue;
            }
            for (String pair : pairs(now)) {
                double decay = Records.number(now, "pairs", pair, "charge.drift.rate.part.decay");
                double predicted = -2.0 * eta * gamma * Records.number(before, "pairs", pair, "charge.relative");
                if (!Double.isNaN(decay)) {
                    worst = Math.max(worst, Math.abs(decay - predicted) / Math.abs(predicted));
                }
            }
        }
        return worst;
    }

    private static List<String> pairs(Map<String, Object> step) {
        Map<String, Object> p = Records.map(step, "pairs");
        return p == null ? List.of() : List.copyOf(p.keySet());
    }

    /** Means over bins of {@code steps / BINS} steps, at the bin's middle step: sums stay sums. */
    private static Series binned(String name, Series s, int steps) {
        int width = Math.max(1, steps / BINS);
        Map<Long, double[]> bins = new LinkedHashMap<>();
        for (int i = 0; i < s.size(); i++) {
            long bin = (long) Math.floor((s.x()[i] - 1) / width);
            double[] acc = bins.computeIfAbsent(bin, b -> new double[2]);
            acc[0] += s.y()[i];
            acc[1]++;
        }
        double[] x = new double[bins.size()];
        double[] y = new double[bins.size()];
        int k = 0;
        for (Map.Entry<Long, double[]> e : bins.entrySet()) {
            x[k] = 1 + e.getKey() * width + (width - 1) / 2.0;
            y[k++] = e.getValue()[0] / e.getValue()[1];
        }
        return new Series(name, x, y);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /** One run's budget over every pair and step record that carries the rate and its four parts. */
    private static final class Budget {
        int steps;
        double sumError;
        double meanAbsRate;
        final double[] meanAbs = new double[PARTS.length];
        double maxAbsOptimizer;
        double maxResidual;
        int residuals;
        Series sumErrors;

        static Budget of(List<Map<String, Object>> records) {
            Budget b = new Budget();
            int n = 0;
            List<double[]> errors = new ArrayList<>();
            for (Map<String, Object> r : records) {
                b.steps = Math.max(b.steps, (int) Records.number(r, "step"));
                boolean residualAtEveryPair = !pairs(r).isEmpty();
                double worst = Double.NaN;
                for (String pair : pairs(r)) {
                    double residual = Records.number(r, "pairs", pair, "charge.residual");
                    residualAtEveryPair &= !Double.isNaN(residual);
                    if (!Double.isNaN(residual)) {
                        b.maxResidual = Math.max(b.maxResidual, residual);
                    }
                    double rate = Records.number(r, "pairs", pair, "charge.drift.rate");
                    double sum = 0;
                    double abs = 0;
                    double[] parts = new double[PARTS.length];
                    for (int p = 0; p < PARTS.length; p++) {
                        parts[p] = Records.number(r, "pairs", pair, "charge.drift.rate.part." + PARTS[p]);
                        sum += parts[p];
                        abs += Math.abs(parts[p]);
                    }
                    if (Double.isNaN(rate) || Double.isNaN(sum)) {
                        continue;
                    }
                    double e = abs > 0 ? Math.abs(sum - rate) / abs : Math.abs(sum - rate);
                    b.sumError = Math.max(b.sumError, e);
                    worst = Double.isNaN(worst) ? e : Math.max(worst, e);
                    b.meanAbsRate += Math.abs(rate);
                    for (int p = 0; p < PARTS.length; p++) {
                        b.meanAbs[p] += Math.abs(parts[p]);
                    }
                    b.maxAbsOptimizer = Math.max(b.maxAbsOptimizer, Math.abs(parts[1]));
                    n++;
                }
                if (residualAtEveryPair) {
                    b.residuals++;
                }
                if (!Double.isNaN(worst)) {
                    errors.add(new double[] {Records.number(r, "step"), worst});
                }
            }
            if (n == 0) {
                throw new IllegalStateException("no step record with charge.drift.rate.part in the event log");
            }
            b.meanAbsRate /= n;
            for (int p = 0; p < PARTS.length; p++) {
                b.meanAbs[p] /= n;
            }
            double[] x = new double[errors.size()];
            double[] y = new double[errors.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = errors.get(i)[0];
                y[i] = errors.get(i)[1];
            }
            b.sumErrors = new Series("sum error", x, y);
            return b;
        }
    }
}
