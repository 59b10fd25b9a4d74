package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.ConstantInitializer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.dl4j.NoetherListener;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.jfree.chart.JFreeChart;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Figure 1, the symmetry-collapse threshold ([1], the talk's quadratic model; METRICS.md §9.3). A one-hidden-unit
 * linear net without biases, ℓ = ½(u w x − y)² + (γ/2)(u² + w²) (DJL's ½-weighted L2 loss, weight decay γ): the
 * product v = uw minimises ½E[x²]v² − E[xy]v + γ|v|, so the rescaling-symmetric state u = w = 0 is the global
 * minimum iff γ ≥ γ_c = E[xy], and below it |uw| = (E[xy] − γ)/E[x²]. DL4J's MSE has no ½, so there
 * γ_c = 2E[xy]. The gallery sweeps γ around γ_c on both engines with full-batch gradient descent and reads Noether's
 * {@code neurons.dead} and {@code layer.weight.norm}; the measured threshold is the middle of the interval between
 * the largest γ whose neuron Noether calls alive and the smallest it calls dead.
 */
final class ThresholdFigure implements Figure {
    /** E[xy] of the data, exactly (E[x²] = 1 exactly too). */
    static final double EXY = 0.5;
    private static final int SAMPLES = 64;
    private static final float W0 = 0.8f;
    private static final float U0 = 1.1f;

    @Override
    public String id() {
        return "1-threshold";
    }

    @Override
    public String command() {
        return "threshold";
    }

    @Override
    public String title() {
        return "Symmetry collapse threshold";
    }

    /** γ / γ_c of the sweep. */
    static double[] grid(boolean quick) {
        return quick ? new double[] {0.8, 0.9, 0.95, 1.05, 1.1, 1.2}
                : new double[] {0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 1.025, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4};
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int steps = c.size(1000, 4000);
        double[] grid = grid(c.quick());
        Samples data = data();
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<Claim> claims = new ArrayList<>();
        List<JFreeChart> charts = new ArrayList<>();
        Records records;
        try (FigureLog log = c.log(id())) {
            for (double g : grid) {
                djl(g * EXY, steps, data, log, c);
                dl4j(g * 2 * EXY, steps, data, log, c);
            }
            records = log.finish();
        }
        c.printf("Figure 1 — %s: one hidden unit, no bias, full-batch GD, %d steps per γ; E[xy] = %.3g, E[x²] = 1%n",
                title(), steps, EXY);
        String[] engines = {"djl", "dl4j"};
        double[] gammaC = {EXY, 2 * EXY};
        for (int e = 0; e < engines.length; e++) {
            c.printf("  %-5s %8s %10s %16s %18s %13s%n", engines[e], "γ", "γ/γ_c", "|uw| theory", "‖w‖‖u‖ Noether",
                    "neurons.dead");
            double alive = Double.NaN;
            double dead = Double.NaN;
            List<double[]> measured = new ArrayList<>();
            for (double g : grid) {
                double gamma = g * gammaC[e];
                String model = model(engines[e], gamma);
                Map<String, Object> analysis = records.last(model, "analysis");
                Map<String, Object> step = records.last(model, "step");
                String hidden = hiddenLayer(analysis);
                double deadCount = Records.number(analysis, "layers", hidden, "neurons.dead");
                double product = 1;
                for (String layer : Records.map(step, "layers").keySet()) {
                    product *= Records.number(step, "layers", layer, "layer.weight.norm");
                }
                double theory = e == 0 ? Math.max(0, EXY - gamma) : Math.max(0, (2 * EXY - gamma) / 2);
                c.printf("  %-5s %8.4f %10.3f %16.4g %18.4g %13.0f%n", "", gamma, g, theory, product, deadCount);
                measured.add(new double[] {g, product, deadCount});
                if (deadCount == 0) {
                    alive = Double.isNaN(alive) ? g : Math.max(alive, g);
                } else if (deadCount == 1) {
                    dead = Double.isNaN(dead) ? g : Math.min(dead, g);
                }
            }
            // the transition: between the largest γ still alive and the smallest dead (NaN if the sweep misses it)
            double transition = alive < dead ? gammaC[e] * (alive + dead) / 2 : Double.NaN;
            numbers.put(engines[e] + ".threshold.predicted", gammaC[e]);
            numbers.put(engines[e] + ".threshold.measured", transition);
            double error = Math.abs(transition - gammaC[e]) / gammaC[e];
            claims.add(new Claim(engines[e] + ": γ_c where the neuron dies (" + (e == 0 ? "E[xy]" : "2E[xy], MSE without ½")
                    + ")", fmt(gammaC[e]), fmt(transition) + " (" + pct(error) + " off)", error <= 0.10));
            charts.add(chart(engines[e], gammaC[e], measured, e == 0));
        }
        // the one line a program reads: DJL's (DJL is the demo's engine); DL4J's under its own name
        c.printf("threshold: predicted %s measured %s%n", plain(numbers.get("djl.threshold.predicted")),
                plain(numbers.get("djl.threshold.measured")));
        c.printf("threshold-dl4j: predicted %s measured %s%n", plain(numbers.get("dl4j.threshold.predicted")),
                plain(numbers.get("dl4j.threshold.measured")));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 2, charts);
        String notes = String.format(Locale.ROOT, "%d values of γ per engine, %d full-batch GD steps each (η = 0.3 DJL, "
                + "0.15 DL4J) on %d samples with E[xy] = 0.5, E[x²] = 1; start w = %.1f, u = %.1f.", grid.length, steps,
                SAMPLES, W0, U0);
        return new FigureResult(id(), title(), claims, List.of(png), c.out().relativize(c.out().resolve(id() + ".jsonl")).toString(),
                notes, numbers, false, 0);
    }

    private static JFreeChart chart(String engine, double gammaC, List<double[]> measured, boolean halfLoss) {
        List<Series> points = new ArrayList<>();
        List<double[]> alive = new ArrayList<>();
        List<double[]> dead = new ArrayList<>();
        for (double[] m : measured) {
            (m[2] == 0 ? alive : dead).add(m);
        }
        points.add(points("alive (neurons.dead = 0)", alive));
        points.add(points("dead (neurons.dead = 1)", dead));
        double lo = measured.get(0)[0];
        double hi = measured.get(measured.size() - 1)[0];
        int n = 200;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * i / (n - 1);
            y[i] = halfLoss ? Math.max(0, gammaC - x[i] * gammaC) : Math.max(0, (gammaC - x[i] * gammaC) / 2);
        }
        return Charts.points(String.format(Locale.ROOT, "%s: ‖w‖‖u‖ after training vs γ (γ_c = %s)",
                        engine.toUpperCase(Locale.ROOT), fmt(gammaC)), "γ / γ_c", "‖w‖·‖u‖ (Noether's layer.weight.norm)",
                points, List.of(new Series("theory |uw| = max(0, " + (halfLoss ? "E[xy] − γ" : "(2E[xy] − γ)/2") + ")", x, y)));
    }

    private static Series points(String name, List<double[]> rows) {
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = rows.get(i)[0];
            y[i] = rows.get(i)[1];
        }
        return new Series(name, x, y);
    }

    /** The layer Noether reports {@code neurons.dead} for: the hidden unit. */
    private static String hiddenLayer(Map<String, Object> analysis) {
        for (Map.Entry<String, Object> e : Records.map(analysis, "layers").entrySet()) {
            if (e.getValue() instanceof Map<?, ?> m && m.containsKey("neurons.dead")) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("no neurons.dead in the final analysis of " + analysis.get("model"));
    }

    static String model(String engine, double gamma) {
        return String.format(Locale.ROOT, "threshold-%s-gamma-%.4f", engine, gamma);
    }

    private static NoetherConfig config(int steps) {
        // the final state is what the figure reads; every 10th step (and its successor) shows the run on the page
        return NoetherConfig.builder().observeEvery(10).overheadBudget(1).analysisEvery(steps / 4)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).build();
    }

    private static void djl(double gamma, int steps, Samples data, FigureLog log, GalleryContext c) {
        SequentialBlock net = new SequentialBlock();
        Linear w = Linear.builder().setUnits(1).optBias(false).build();
        w.setInitializer(new ConstantInitializer(W0), Parameter.Type.WEIGHT);
        Linear u = Linear.builder().setUnits(1).optBias(false).build();
        u.setInitializer(new ConstantInitializer(U0), Parameter.Type.WEIGHT);
        net.add(w).add(u);
        try (DjlRun run = new DjlRun(model("djl", gamma), net, data, new Shape(1), DjlRun.LossKind.L2, 0.3, gamma, 1,
                SAMPLES, config(steps), c.registry(), log.reports())) {
            run.steps(steps, SAMPLES);
        }
    }

    private static void dl4j(double gamma, int steps, Samples data, FigureLog log, GalleryContext c) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1).updater(new Sgd(0.15)).l2(gamma).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(1).nOut(1).hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(1).nOut(1).hasBias(false)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        net.getLayer(0).setParam("W", Nd4j.create(new float[] {W0}, new long[] {1, 1}, 'c'));
        net.getLayer(1).setParam("W", Nd4j.create(new float[] {U0}, new long[] {1, 1}, 'c'));
        DataSet all = new DataSet(Nd4j.create(data.x(), new long[] {SAMPLES, 1}, 'c'),
                Nd4j.create(data.y(), new long[] {SAMPLES, 1}, 'c'));
        try (NoetherListener noether = NoetherListener.builder().registry(c.registry()).modelName(model("dl4j", gamma))
                .config(config(steps)).addListener(log.reports()).build()) {
            net.addListeners(noether);
            for (int t = 0; t < steps; t++) {
                net.fit(all);
            }
        }
    }

    /** Samples with E[x²] = 1 and E[xy] = 0.5 exactly: y = x + noise, rescaled. */
    static Samples data() {
        Random r = new Random(11);
        double[] x = new double[SAMPLES];
        double[] y = new double[SAMPLES];
        double sxx = 0;
        for (int i = 0; i < SAMPLES; i++) {
            x[i] = r.nextGaussian();
            sxx += x[i] * x[i];
        }
        double sxy = 0;
        for (int i = 0; i < SAMPLES; i++) {
            x[i] /= Math.sqrt(sxx / SAMPLES);
            y[i] = x[i] + 0.1 * r.nextGaussian();
            sxy += x[i] * y[i];
        }
        float[] xf = new float[SAMPLES];
        float[] yf = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            xf[i] = (float) x[i];
            yf[i] = (float) (y[i] * EXY / (sxy / SAMPLES));
        }
        return new Samples(SAMPLES, 1, 1, xf, yf);
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4g", v);
    }

    static String pct(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * share);
    }

    /** A plain number a program can parse: no exponent for these magnitudes, "NaN" when the sweep missed it. */
    private static String plain(double v) {
        return Double.isNaN(v) ? "NaN" : new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
