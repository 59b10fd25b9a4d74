package dev.noether.core.physics;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/**
 * The host sums of {@link LayerMoments} over one layer's full arrays, four rows of W at a time: per row ‖w_i‖²,
 * Σ ĝ², w_i·ĝ (ĝ as handed, unscaled), per column the same three when asked, and ‖W − W_prev‖².
 *
 * <p><b>Why four rows.</b> A row's sum is one chain of dependent adds (4 cycles each), and C2 on JDK 17 vectorizes
 * none of the ways to write these sums (floating-point reductions, the float→double widening, and elementwise
 * loops over float arrays it cannot prove disjoint all stay scalar), so the speed comes from instruction-level
 * parallelism: four rows give sixteen independent chains per column index, each value is loaded and widened
 * once for all its uses, and each column's running sums are loaded and stored once per four rows instead of
 * once per row. {@code LayerMomentsBenchmark} measures it against the plain loops and a bulk copy.
 *
 * <p><b>Error.</b> Every product of two floats is exact in double (24 + 24 significand bits ≤ 53), so each row and
 * column sum is the plain sequential double sum of exact terms in index order, bit for bit what one loop per sum
 * gives: for k terms, |error| ≤ (k − 1)·2⁻⁵³·Σ|terms| (≤ 1.2·10⁻¹⁰ relative for k ≤ 10⁶, far below the 10⁻⁵ the
 * one-step charge identity is checked to). ‖ΔW‖² is summed in four partial sums, with the same bound. Each term
 * is added with {@code Math.fma} where the CPU has it (one instruction instead of two; with exact products the
 * result is the same), else with a multiply and an add. Non-finite inputs give non-finite sums.
 */
final class RowBlockSums {
    private static final boolean FMA = hardwareFma();

    private RowBlockSums() {}

    /**
     * Writes the row sums of rows [0, m) into {@code rowSq}, {@code rowGradSq}, {@code rowDot} and adds the
     * column sums into {@code colSq}, {@code colGradSq}, {@code colDot} (null: no column sums).
     *
     * @param w    W, row-major m × n
     * @param g    ∂ℓ/∂W, same layout (pass {@code w} when there is none, and drop the gradient sums)
     * @param prev W of the step before (pass {@code w} when there is none, and drop the result)
     * @return ‖W − prev‖²
     */
    static double accumulate(float[] w, float[] g, float[] prev, int m, int n,
                             double[] rowSq, double[] rowGradSq, double[] rowDot,
                             double[] colSq, double[] colGradSq, double[] colDot) {
        boolean cols = colSq != null;
        double d0 = 0;
        double d1 = 0;
        double d2 = 0;
        double d3 = 0;
        int i = 0;
        for (; i + 3 < m; i += 4) {
            int b0 = i * n;
            int b1 = b0 + n;
            int b2 = b1 + n;
            int b3 = b2 + n;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;     // ‖w_i‖²
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0;     // ‖ĝ_i‖²
            double t0 = 0, t1 = 0, t2 = 0, t3 = 0;     // w_i·ĝ_i
            for (int j = 0; j < n; j++) {
                double x0 = w[b0 + j];
                double x1 = w[b1 + j];
                double x2 = w[b2 + j];
                double x3 = w[b3 + j];
                double y0 = g[b0 + j];
                double y1 = g[b1 + j];
                double y2 = g[b2 + j];
                double y3 = g[b3 + j];
                double e0 = x0 - prev[b0 + j];
                double e1 = x1 - prev[b1 + j];
                double e2 = x2 - prev[b2 + j];
                double e3 = x3 - prev[b3 + j];
                s0 = madd(x0, x0, s0);
                s1 = madd(x1, x1, s1);
                s2 = madd(x2, x2, s2);
                s3 = madd(x3, x3, s3);
                q0 = madd(y0, y0, q0);
                q1 = madd(y1, y1, q1);
                q2 = madd(y2, y2, q2);
                q3 = madd(y3, y3, q3);
                t0 = madd(x0, y0, t0);
                t1 = madd(x1, y1, t1);
                t2 = madd(x2, y2, t2);
                t3 = madd(x3, y3, t3);
                d0 = madd(e0, e0, d0);
                d1 = madd(e1, e1, d1);
                d2 = madd(e2, e2, d2);
                d3 = madd(e3, e3, d3);
                if (cols) {
                    colSq[j] = madd(x3, x3, madd(x2, x2, madd(x1, x1, madd(x0, x0, colSq[j]))));
                    colGradSq[j] = madd(y3, y3, madd(y2, y2, madd(y1, y1, madd(y0, y0, colGradSq[j]))));
                    colDot[j] = madd(x3, y3, madd(x2, y2, madd(x1, y1, madd(x0, y0, colDot[j]))));
                }
            }
            rowSq[i] = s0;
            rowSq[i + 1] = s1;
            rowSq[i + 2] = s2;
            rowSq[i + 3] = s3;
            rowGradSq[i] = q0;
            rowGradSq[i + 1] = q1;
            rowGradSq[i + 2] = q2;
            rowGradSq[i + 3] = q3;
            rowDot[i] = t0;
            rowDot[i + 1] = t1;
            rowDot[i + 2] = t2;
            rowDot[i + 3] = t3;
        }
        for (; i < m; i++) { // the last m mod 4 rows
            int b = i * n;
            double s = 0;
            double q = 0;
            double t = 0;
            for (int j = 0; j < n; j++) {
                double x = w[b + j];
                double y = g[b + j];
                double e = x - prev[b + j];
                s = madd(x, x, s);
                q = madd(y, y, q);
                t = madd(x, y, t);
                d0 = madd(e, e, d0);
                if (cols) {
                    colSq[j] += x * x;
                    colGradSq[j] += y * y;
                    colDot[j] += x * y;
                }
            }
            rowSq[i] = s;
            rowGradSq[i] = q;
            rowDot[i] = t;
        }
        return (d0 + d1) + (d2 + d3);
    }

    /** c + a·b with one rounding; the same as two roundings here, where a·b is exact. */
    private static double madd(double a, double b, double c) {
        return FMA ? Math.fma(a, b, c) : c + a * b;
    }

    /**
     * Whether {@code Math.fma} runs on the CPU (HotSpot's {@code UseFMA}). Where it does not, or this cannot be
     * read (another JVM, no {@code jdk.management}), it would run in software, hundreds of times slower.
     */
    private static boolean hardwareFma() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return vm != null && Boolean.parseBoolean(vm.getVMOption("UseFMA").getValue());
        } catch (Throwable e) { // LinkageError without the modules, IllegalArgumentException without the option
            return false;
        }
    }
}
