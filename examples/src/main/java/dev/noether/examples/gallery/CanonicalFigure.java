package dev.noether.examples.gallery;

import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 6, canonical representations ([3] fig. 1; METRICS.md §5, §9.6). For a layer h_b = W h_a the six alignments
 * (Pearson correlation of the entries) of H = E[hhᵀ], G = E[ggᵀ] and Z (WᵀW or WWᵀ) on both sides: H∝G (rga),
 * H∝Z (rwa), G∝Z (gwa). The fluctuation–dissipation balance of SGD with weight decay makes them align; a random
 * rotation of one matrix ({@code crh.alignment.baseline}) gives chance. The penultimate and the output layer of the
 * teacher-task MLP ({@link TeacherRun}), at its final analysis.
 */
final class CanonicalFigure implements Figure {
    static final String[] SIDES = {"a", "b"};
    static final String[] RELATIONS = {"rga", "rwa", "gwa"};

    @Override
    public String id() {
        return "6-crh";
    }

    @Override
    public String command() {
        return "crh";
    }

    @Override
    public String title() {
        return "Canonical representations: six alignments vs random baselines";
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        TeacherRun.Trained run = TeacherRun.records(c);
        Map<String, Object> last = run.records().last(TeacherRun.MODEL, "analysis");
        List<String> layers = new ArrayList<>(Records.map(last, "layers").keySet());
        List<String> shown = layers.subList(layers.size() - 2, layers.size()); // penultimate, output
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<Claim> claims = new ArrayList<>();
        List<JFreeChart> charts = new ArrayList<>();
        c.printf("Figure 6 — %s: teacher-task MLP after %d steps (final analysis at step %.0f)%n", title(), run.steps(),
                Records.number(last, "step"));
        c.printf("  %-10s %-10s %12s %12s %8s%n", "layer", "alignment", "Noether α", "baseline", "phase");
        for (String layer : shown) {
            String role = layer.equals(shown.get(0)) ? "penultimate" : "output";
            List<String> categories = new ArrayList<>();
            double[][] values = new double[2][6];
            int k = 0;
            String phase = Records.text(last, "layers", layer, "crh.phase");
            for (String side : SIDES) {
                for (String relation : RELATIONS) {
                    double alpha = Records.number(last, "layers", layer, "crh.alignment." + relation + "." + side);
                    double base = Records.number(last, "layers", layer, "crh.alignment.baseline." + relation + "." + side);
                    String name = label(side, relation);
                    categories.add(name);
                    values[0][k] = alpha;
                    values[1][k++] = base;
                    numbers.put(role + "." + side + "." + relation, alpha);
                    numbers.put(role + "." + side + "." + relation + ".baseline", base);
                    c.printf("  %-10s %-10s %12.3f %12.3f %8s%n", role, name, alpha, base, phase);
                    claims.add(new Claim(role + " (" + layer + ") " + name, "above its random baseline " + fmt(base),
                            fmt(alpha), alpha > base));
                }
            }
            charts.add(Charts.bars(String.format(Locale.ROOT, "%s layer %s (phase %s)", role, layer, phase), "alignment α",
                    List.of("Noether crh.alignment", "random-rotation baseline"), categories, values));
        }
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), 2, charts);
        return new FigureResult(id(), title(), claims, List.of(png), id() + ".jsonl", run.notes(), numbers, false, 0);
    }

    /** "H_b∝G_b" for side b, relation rga. */
    static String label(String side, String relation) {
        String[] m = switch (relation) {
            case "rga" -> new String[] {"H", "G"};
            case "rwa" -> new String[] {"H", "Z"};
            default -> new String[] {"G", "Z"};
        };
        return m[0] + "_" + side + "∝" + m[1] + "_" + side;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
