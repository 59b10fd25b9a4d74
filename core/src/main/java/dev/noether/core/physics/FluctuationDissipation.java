package dev.noether.core.physics;

import org.ejml.data.DMatrixRMaj;

/**
 * Distance from the fluctuation–dissipation balance of [3] Theorem 1 (METRICS.md §5,
 * {@code fdt.residual}): at equilibrium W Wᵀ + c₁ G_b − c₂ H_b = 0 for some c₁, c₂ ≥ 0.
 */
public final class FluctuationDissipation {

    private FluctuationDissipation() {
    }

    /**
     * min over c₁, c₂ ≥ 0 of ‖Z + c₁G − c₂H‖_F / ‖Z‖_F.
     *
     * @param zb W Wᵀ (m×m)
     * @param gb G_b (m×m)
     * @param hb H_b (m×m)
     * @return the relative residual in [0, 1]; NaN when ‖Z‖_F = 0 or an input is not finite
     * @throws IllegalArgumentException when the shapes differ
     */
    public static double residual(DMatrixRMaj zb, DMatrixRMaj gb, DMatrixRMaj hb) {
        double[] c = coefficients(zb, gb, hb);
        if (c == null) {
            return Double.NaN;
        }
        return Math.sqrt(misfit2(zb, gb, hb, c[0], c[1])) / Math.sqrt(dot(zb, zb));
    }

    /**
     * The minimising (c₁, c₂) of {@link #residual}, or null when ‖Z‖_F = 0 or an input is not finite.
     * Exact two-variable non-negative least squares: the objective is a convex quadratic, so its
     * minimum over the quadrant is at a KKT point, and the only candidates are the unconstrained
     * optimum (when feasible), the optimum along each axis (clamped at 0) and the origin. Each is
     * scored by its residual computed directly (not by the quadratic form, which loses precision to
     * cancellation near a zero residual); the smallest wins.
     */
    public static double[] coefficients(DMatrixRMaj zb, DMatrixRMaj gb, DMatrixRMaj hb) {
        if (zb.numRows != gb.numRows || zb.numCols != gb.numCols
                || zb.numRows != hb.numRows || zb.numCols != hb.numCols) {
            throw new IllegalArgumentException("Z, G and H must have one shape");
        }
        if (!Spectrum.allFinite(zb) || !Spectrum.allFinite(gb) || !Spectrum.allFinite(hb)) {
            return null;
        }
        double zz = dot(zb, zb);
        if (zz == 0) {
            return null;
        }
        double gg = dot(gb, gb);
        double hh = dot(hb, hb);
        double gh = dot(gb, hb);
        double zg = dot(zb, gb);
        double zh = dot(zb, hb);
        // ‖Z + c₁G − c₂H‖² = zz + 2c₁ zg − 2c₂ zh + c₁² gg + c₂² hh − 2c₁c₂ gh; normal equations:
        //   gg c₁ − gh c₂ = −zg
        //  −gh c₁ + hh c₂ =  zh
        double[][] candidates = new double[4][];
        int count = 0;
        candidates[count++] = new double[] {0, 0};
        if (gg > 0) {
            candidates[count++] = new double[] {Math.max(0, -zg / gg), 0};
        }
        if (hh > 0) {
            candidates[count++] = new double[] {0, Math.max(0, zh / hh)};
        }
        double det = gg * hh - gh * gh;
        // det ≤ ~ε·gg·hh means G ∥ H: the line of optima meets an axis, already a candidate.
        if (det > 1e-12 * gg * hh) {
            double c1 = (-zg * hh + gh * zh) / det;
            double c2 = (gg * zh - gh * zg) / det;
            if (c1 >= 0 && c2 >= 0) {
                candidates[count++] = new double[] {c1, c2};
            }
        }
        double[] best = null;
        double bestMisfit = Double.POSITIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            double misfit = misfit2(zb, gb, hb, candidates[i][0], candidates[i][1]);
            if (misfit < bestMisfit) {
                bestMisfit = misfit;
                best = candidates[i];
            }
        }
        return best;
    }

    /**
     * {@link #residual} from the six inner products ⟨Z,Z⟩, ⟨G,G⟩, ⟨H,H⟩, ⟨Z,G⟩, ⟨Z,H⟩, ⟨G,H⟩ (for matrices
     * held as low-rank factors, where entries are not at hand): the same candidates, each scored by the
     * quadratic form (clamped at 0, so a residual below ~sqrt(ε) is not resolved).
     *
     * @return {residual, c₁, c₂}; all NaN when ⟨Z,Z⟩ = 0 or an input is not finite
     */
    public static double[] fitFromInnerProducts(double zz, double gg, double hh, double zg, double zh, double gh) {
        if (!(zz > 0) || !Double.isFinite(zz + gg + hh + zg + zh + gh)) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        double best = zz;
        double[] bestC = {0, 0};
        double[][] candidates = {
            {gg > 0 ? Math.max(0, -zg / gg) : 0, 0},
            {0, hh > 0 ? Math.max(0, zh / hh) : 0},
            null,
        };
        double det = gg * hh - gh * gh;
        if (det > 1e-12 * gg * hh) {
            double c1 = (-zg * hh + gh * zh) / det;
            double c2 = (gg * zh - gh * zg) / det;
            if (c1 >= 0 && c2 >= 0) {
                candidates[2] = new double[] {c1, c2};
            }
        }
        for (double[] c : candidates) {
            if (c != null) {
                double q = zz + 2 * c[0] * zg - 2 * c[1] * zh + c[0] * c[0] * gg + c[1] * c[1] * hh - 2 * c[0] * c[1] * gh;
                if (Math.max(q, 0) < best) {
                    best = Math.max(q, 0);
                    bestC = c;
                }
            }
        }
        return new double[] {Math.sqrt(best / zz), bestC[0], bestC[1]};
    }

    private static double misfit2(DMatrixRMaj z, DMatrixRMaj g, DMatrixRMaj h, double c1, double c2) {
        double sum = 0;
        for (int i = 0; i < z.getNumElements(); i++) {
            double r = z.data[i] + c1 * g.data[i] - c2 * h.data[i];
            sum += r * r;
        }
        return sum;
    }

    private static double dot(DMatrixRMaj a, DMatrixRMaj b) {
        double sum = 0;
        for (int i = 0; i < a.getNumElements(); i++) {
            sum += a.data[i] * b.data[i];
        }
        return sum;
    }
}
