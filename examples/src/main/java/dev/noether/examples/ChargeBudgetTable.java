package dev.noether.examples;

import dev.noether.core.model.SymmetryPair;
import dev.noether.core.runtime.MetricKey;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.NoetherReportListener;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of the {@code optimizers} example: per optimizer and symmetry pair, the mean over the run's step reports of
 * each part of {@code charge.drift.rate.part} and of {@code charge.drift.rate}, with {@code norm.spread} at the first
 * and the last report and the last loss.
 */
final class ChargeBudgetTable {
    private static final String[] PARTS = {"decay", "optimizer", "gradient", "step"};

    private ChargeBudgetTable() {}

    /** One pair's means: the four parts and the observed rate. */
    record PairRow(String pair, double[] parts, double rate) {}

    /** One optimizer's line of results. */
    record Row(OptimizersCommand.Contender contender, List<PairRow> pairs, double spreadStart, double spreadEnd,
               double loss, long observed, double seconds) {}

    /** Collects the step reports of one run (they arrive on the monitor's step thread). */
    static final class Collector implements NoetherReportListener {
        private final Map<String, double[]> sums = new LinkedHashMap<>(); // pair -> 4 parts, rate, part count, rate count
        private double spreadStart = Double.NaN;
        private double spreadEnd = Double.NaN;
        private double loss = Double.NaN;
        private List<String> pairs = List.of();
        private long observed;

        @Override
        public synchronized void onReport(NoetherReport report) {
            if (report.kind() != NoetherReport.Kind.STEP) {
                return;
            }
            for (Map.Entry<MetricKey, Double> e : report.values().entrySet()) {
                MetricKey key = e.getKey();
                String pair = key.tag("pair");
                switch (key.metric()) {
                    case CHARGE_DRIFT_RATE_PART -> {
                        double[] s = sums.computeIfAbsent(pair, p -> new double[7]);
                        int part = List.of(PARTS).indexOf(key.tag("part"));
                        s[part] += e.getValue();
                        if (part == 0) {
                            s[5]++;
                        }
                    }
                    case CHARGE_DRIFT_RATE -> {
                        double[] s = sums.computeIfAbsent(pair, p -> new double[7]);
                        s[4] += e.getValue();
                        s[6]++;
                    }
                    case NORM_SPREAD -> {
                        spreadStart = Double.isNaN(spreadStart) ? e.getValue() : spreadStart;
                        spreadEnd = e.getValue();
                    }
                    case LOSS -> loss = e.getValue();
                    default -> { }
                }
            }
        }

        /** The run is over: the monitor names the pairs in the network's order. */
        synchronized void finished(NoetherMonitor monitor) {
            monitor.awaitSteps(java.time.Duration.ofSeconds(10));
            pairs = monitor.description().pairs().stream().map(SymmetryPair::tag).toList();
            observed = monitor.observedSteps();
        }

        synchronized Row row(OptimizersCommand.Contender contender, double seconds) {
            List<PairRow> out = new ArrayList<>();
            for (int k = 0; k < pairs.size(); k++) {
                double[] s = sums.getOrDefault(pairs.get(k), new double[7]);
                double[] parts = new double[PARTS.length];
                for (int p = 0; p < parts.length; p++) {
                    parts[p] = s[5] > 0 ? s[p] / s[5] : Double.NaN;
                }
                out.add(new PairRow((k + 1) + ":" + (k + 2), parts, s[6] > 0 ? s[4] / s[6] : Double.NaN));
            }
            return new Row(contender, out, spreadStart, spreadEnd, loss, observed, seconds);
        }
    }

    static void print(List<Row> rows, PrintStream out) {
        out.println();
        out.println("What moved each pair's charge: mean over training of charge.drift.rate.part, per step, over the "
                + "pair's scale (the four sum to the observed rate); balance: norm.spread at the first and last step.");
        out.printf(Locale.ROOT, "%-9s %-5s %-4s %10s %10s %10s %10s %10s   %-21s %8s %9s%n", "optimizer", "engine",
                "pair", "decay", "optimizer", "gradient", "step", "observed", "norm.spread start→end", "loss", "observed");
        for (Row r : rows) {
            for (int k = 0; k < r.pairs().size(); k++) {
                PairRow p = r.pairs().get(k);
                String tail = k > 0 ? "" : String.format(Locale.ROOT, "   %-21s %8s %9s",
                        fmt(r.spreadStart()) + " → " + fmt(r.spreadEnd()), fmt(r.loss()), r.observed() + " steps");
                out.printf(Locale.ROOT, "%-9s %-5s %-4s %10s %10s %10s %10s %10s%s%n", k == 0 ? r.contender().name() : "",
                        k == 0 ? r.contender().engine() : "", p.pair(), fmt(p.parts()[0]), fmt(p.parts()[1]),
                        fmt(p.parts()[2]), fmt(p.parts()[3]), fmt(p.rate()), tail);
            }
        }
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2e", v);
    }
}
