package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.NormalInitializer;
import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 4, SGD and GD learn different representations ([2] fig. 4). In a two-layer net f(x) = U σ(W x) the
 * double-rotation symmetry (exact for σ linear, approximate for tanh) conserves WWᵀ − UᵀU under gradient flow, so
 * GD's representation remembers its start; SGD's noise drives it to the equilibrium where the forward
 * representation W Σ_x Wᵀ matches the backward one, Uᵀ Σ_ε U ([2]: E‖x‖² UᵀΣ_εU = E‖ε‖² WΣ_xWᵀ at the fixed point
 * of the one-step charge identity). Noether measures both as alignments, without access to the model: the first
 * layer's H_b is exactly W E[xxᵀ] Wᵀ against its back-propagated G_b ({@code crh.alignment{layer=01Linear,
 * side=b, relation=rga}}), and the second layer's G_a is exactly Uᵀ E[εεᵀ] U against its input moment
 * E[σ(Wx)σ(Wx)ᵀ] ({@code crh.alignment{layer=03Linear, side=a, relation=rga}}). Same net, same start, same η:
 * batch 1 (SGD) against the full batch (GD).
 */
final class SgdGdFigure implements Figure {
    static final double[] INPUT_SCALES = {2, 1.5, 1, 0.7, 0.5, 0.3};
    static final double[] NOISE_SCALES = {3, 2, 1, 0.5};
    static final int HIDDEN = 8;
    static final int SAMPLES = 256;
    static final double ETA = 0.1;
    /** W starts large and U small: far from the SGD equilibrium, so that GD, which keeps WWᵀ − UᵀU, stays far. */
    static final float W_SIGMA = 0.3f;
    static final float U_SIGMA = 0.05f;

    @Override
    public String id() {
        return "4-sgd-vs-gd";
    }

    @Override
    public String command() {
        return "sgd-vs-gd";
    }

    @Override
    public String title() {
        return "SGD vs GD representations";
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        int steps = c.size(1500, 6000);
        int every = Math.max(1, steps / 30);
        Samples data = Teachers.noisyLinear(SAMPLES, INPUT_SCALES, 0.5, NOISE_SCALES, 4);
        Records records;
        try (FigureLog log = c.log(id())) {
            train("tanh-sgd", data, 1, steps, every, log, c);
            train("tanh-gd", data, SAMPLES, steps, every, log, c);
            records = log.finish();
        }
        List<String> layers = new ArrayList<>(Records.map(records.last("tanh-sgd", "analysis"), "layers").keySet());
        String first = layers.get(0);
        String second = layers.get(layers.size() - 1);
        String[][] alignments = {{first, "crh.alignment.rga.b", "crh.alignment.baseline.rga.b", "forward: " + first + " H_b∝G_b (WΣxWᵀ)"},
                {second, "crh.alignment.rga.a", "crh.alignment.baseline.rga.a", "backward: " + second + " H_a∝G_a (UᵀΣεU)"}};
        List<Series> lines = new ArrayList<>();
        List<Series> chance = new ArrayList<>();
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<Claim> claims = new ArrayList<>();
        c.printf("Figure 4 — %s: tanh net %d-%d-%d without biases, η = %s, %d steps; mean α over the second half%n",
                title(), INPUT_SCALES.length, HIDDEN, NOISE_SCALES.length, ETA, steps);
        c.printf("  %-48s %10s %10s %10s%n", "alignment", "SGD", "GD", "baseline");
        for (String[] a : alignments) {
            double[] mean = new double[2];
            double baseline = Double.NaN;
            String[][] runs = {{"tanh-sgd", "SGD"}, {"tanh-gd", "GD"}};
            for (int r = 0; r < runs.length; r++) {
                List<Map<String, Object>> analyses = records.analyses(runs[r][0]);
                Series s = Records.series(runs[r][1] + " " + a[3], analyses, "layers", a[0], a[1]);
                lines.add(s);
                mean[r] = Arrays.stream(s.between(steps / 2.0, steps).y()).average().orElse(Double.NaN);
                if (r == 0) {
                    Series b = Records.series("chance (random rotation), " + a[0], analyses, "layers", a[0], a[2]);
                    chance.add(b);
                    baseline = Arrays.stream(b.y()).average().orElse(Double.NaN);
                }
            }
            String key = a == alignments[0] ? "forward" : "backward";
            numbers.put(key + ".sgd", mean[0]);
            numbers.put(key + ".gd", mean[1]);
            numbers.put(key + ".baseline", baseline);
            c.printf("  %-48s %10.3f %10.3f %10.3f%n", a[3], mean[0], mean[1], baseline);
            claims.add(new Claim(a[3] + ", SGD vs GD", "similar under SGD, dissimilar under GD",
                    String.format(Locale.ROOT, "SGD %.2f, GD %.2f (chance %.2f)", mean[0], mean[1], baseline),
                    mean[0] >= mean[1] + 0.25));
        }
        List<JFreeChart> charts = List.of(Charts.lines("WΣxWᵀ vs UᵀΣεU: Noether's H∝G alignments", "step", "alignment α",
                false, lines, chance));
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 1, charts);
        String notes = String.format(Locale.ROOT, "DJL tanh net %d-%d-%d, no biases, weights from N(0, %s²) and N(0, %s²); "
                        + "y = Ax + ε with x ~ N(0, diag%s²), A ~ N(0, 0.5²), ε ~ N(0, diag%s²), %d samples; plain SGD η = %s "
                        + "with batch 1 (SGD) and %d (GD), %d steps each from the same start; heavy analysis every %d steps "
                        + "on all %d samples (dropped while the previous one still runs).", INPUT_SCALES.length, HIDDEN,
                NOISE_SCALES.length, W_SIGMA, U_SIGMA, Arrays.toString(INPUT_SCALES), Arrays.toString(NOISE_SCALES), SAMPLES,
                ETA, SAMPLES, steps, every, SAMPLES);
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", notes, numbers, false, 0);
    }

    private static void train(String name, Samples data, int batch, int steps, int every, FigureLog log, GalleryContext c) {
        SequentialBlock net = new SequentialBlock();
        Linear w = Linear.builder().setUnits(HIDDEN).optBias(false).build();
        w.setInitializer(new NormalInitializer(W_SIGMA), Parameter.Type.WEIGHT);
        Linear u = Linear.builder().setUnits(NOISE_SCALES.length).optBias(false).build();
        u.setInitializer(new NormalInitializer(U_SIGMA), Parameter.Type.WEIGHT);
        net.add(w).add(Activation.tanhBlock()).add(u);
        try (DjlRun run = new DjlRun(name, net, data, new Shape(INPUT_SCALES.length), DjlRun.LossKind.L2, ETA, 0, 7,
                SAMPLES, GalleryContext.everyStep(every), c.registry(), log.reports())) {
            run.steps(steps, batch);
        }
    }
}
