package dev.noether.examples.gallery;

import org.jfree.chart.JFreeChart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figure 7, polynomial alignment ([3] fig. 3, Table 1; METRICS.md §5). When the CRH is only partly satisfied, the
 * spectra of H and G are power laws of each other, λ_H ∝ λ_G^κ, with κ fixed by the layer's phase. Per layer of the
 * teacher-task MLP ({@link TeacherRun}), at its final analysis: Noether's eigenvalue pairs (log λ_G, log λ_H) of the
 * forward side from the event log, the fitted exponent {@code pah.exponent} and, where the phase predicts one,
 * {@code pah.exponent.predicted}. Per attention head once attention layers are supported (issue 23).
 */
final class PolynomialFigure implements Figure {
    @Override
    public String id() {
        return "7-pah";
    }

    @Override
    public String command() {
        return "pah";
    }

    @Override
    public String title() {
        return "Polynomial alignment: λ_H against λ_G per layer";
    }

    @Override
    public FigureResult draw(GalleryContext c) throws Exception {
        TeacherRun.Trained run = TeacherRun.records(c);
        Map<String, Object> last = run.records().last(TeacherRun.MODEL, "analysis");
        Map<String, Double> numbers = new LinkedHashMap<>();
        List<Claim> claims = new ArrayList<>();
        List<JFreeChart> charts = new ArrayList<>();
        c.printf("Figure 7 — %s: teacher-task MLP, final analysis at step %.0f (side b: λ_Hb vs λ_Gb)%n", title(),
                Records.number(last, "step"));
        c.printf("  %-10s %-12s %10s %8s %12s%n", "layer", "phase", "fitted κ", "R²", "predicted κ");
        for (String layer : Records.map(last, "layers").keySet()) {
            double[] x = Records.numbers(last, "details", "layers", layer, "pah", "b", "log_lambda_g");
            double[] y = Records.numbers(last, "details", "layers", layer, "pah", "b", "log_lambda_h");
            if (x == null || y == null || x.length < 2) {
                continue;
            }
            double fitted = Records.number(last, "layers", layer, "pah.exponent.b");
            double r2 = Records.number(last, "layers", layer, "pah.fit.r2.b");
            double predicted = Records.number(last, "layers", layer, "pah.exponent.predicted.b");
            String phase = Records.text(last, "layers", layer, "crh.phase");
            numbers.put(layer + ".fitted", fitted);
            numbers.put(layer + ".r2", r2);
            numbers.put(layer + ".predicted", predicted);
            c.printf("  %-10s %-12s %10.3f %8.3f %12s%n", layer, phase, fitted, r2,
                    Double.isNaN(predicted) ? "none" : String.format(Locale.ROOT, "%.0f", predicted));
            // the independent check: the slope of the logged pairs, refitted here, is the exponent Noether reports
            Fit refit = Fit.of(x, y);
            claims.add(new Claim(layer + ": exponent of the logged (λ_G, λ_H) pairs", "Noether's pah.exponent " + fmt(fitted),
                    fmt(refit.slope()) + " (refitted from the event log)", Math.abs(refit.slope() - fitted) < 1e-6 * Math.max(1, Math.abs(fitted))));
            if (!Double.isNaN(predicted)) {
                claims.add(new Claim(layer + ": exponent in phase " + phase, "κ = " + fmt(predicted), fmt(fitted)
                        + String.format(Locale.ROOT, " (R² %.2f)", r2), Math.abs(fitted - predicted) <= 0.5, false));
            }
            List<Series> lines = new ArrayList<>();
            double lo = min(x);
            double hi = max(x);
            lines.add(new Series(String.format(Locale.ROOT, "fit κ = %.2f", fitted), new double[] {lo, hi},
                    new double[] {refit.intercept() + refit.slope() * lo, refit.intercept() + refit.slope() * hi}));
            if (!Double.isNaN(predicted)) {
                double mx = mean(x);
                double my = mean(y);
                lines.add(new Series(String.format(Locale.ROOT, "predicted κ = %.0f", predicted), new double[] {lo, hi},
                        new double[] {my + predicted * (lo - mx), my + predicted * (hi - mx)}));
            }
            charts.add(Charts.points(String.format(Locale.ROOT, "%s (phase %s)", layer, phase), "log λ_G (G_b eigenvalues)",
                    "log λ_H (H_b in G_b's eigenbasis)", List.of(new Series("eigenvalue pairs", x, y)), lines));
        }
        String png = id() + ".png";
        Charts.png(c.out().resolve(png), Math.min(3, charts.size()), charts);
        String notes = run.notes() + " The same run as figure 6 (its event log). Per-head panels for attention layers wait "
                + "for issue 23.";
        return new FigureResult(id(), title(), claims, List.of(png), "6-crh.jsonl", notes, numbers, false, 0);
    }

    private static double min(double[] a) {
        return java.util.Arrays.stream(a).min().orElse(Double.NaN);
    }

    private static double max(double[] a) {
        return java.util.Arrays.stream(a).max().orElse(Double.NaN);
    }

    private static double mean(double[] a) {
        return java.util.Arrays.stream(a).average().orElse(Double.NaN);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
