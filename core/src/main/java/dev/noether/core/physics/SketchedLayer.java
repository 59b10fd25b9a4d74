package dev.noether.core.physics;

import dev.noether.core.linalg.LinearAlgebra;
import org.ejml.data.DMatrixRMaj;

/**
 * CRH alignments and baselines, PAH and FDT of a layer wider than the exact limit, on Nyström sketches of
 * its six matrices ({@link PsdSketch}), each with an error bound stated from the sketches' missed traces δ
 * (rigorous and a posteriori: δ ≥ ‖S − Ŝ‖_F, computed from the exact traces):
 * <ul>
 *   <li>alignment α(X, Y) and its baseline: |α − α̂| ≤ min(2, 2δ_X/‖X̂_c‖ + 2δ_Y/‖Ŷ_c‖), X_c the matrix
 *       minus the mean of its entries (centring is a projection, so ‖X_c − X̂_c‖ ≤ δ_X, and
 *       ‖a/‖a‖ − b/‖b‖‖ ≤ 2‖a − b‖/‖b‖); for the baseline ‖Ŷ_c‖ is replaced by sqrt(E_Q‖(QŶQᵀ)_c‖²), the
 *       same argument for the L²(Haar) seminorm.</li>
 *   <li>fdt.residual: r ≤ r̂ + (δ_Z + ĉ₁δ_G + ĉ₂δ_H)/‖Ẑ‖_F (ĉ the coefficients fitted on the sketches, and
 *       ‖Ẑ‖ ≤ ‖Z‖); one-sided: no lower bound is stated.</li>
 *   <li>pah.exponent: fitted on the r eigen-directions of Ĝ, with H's quadratic forms from Ĥ; the eigenvalues
 *       are within δ_G of G's (Weyl, and λ_j(Ĝ) ≤ λ_j(G)); exact to round-off when δ_G = δ_H = 0 (rank at
 *       most the sketch size, e.g. probe moments of fewer samples), otherwise no bound on the slope is
 *       stated.</li>
 * </ul>
 * G_a's sketch is Wᵀ Ĝ_b W, with δ_Ga ≤ ‖W‖₂² δ_Gb. Immutable.
 */
public final class SketchedLayer {
    private final PsdSketch[][] sides; // [side][h, g, z]
    private final LinearAlgebra la;

    private SketchedLayer(PsdSketch[][] sides, LinearAlgebra la) {
        this.sides = sides;
        this.la = la;
    }

    /**
     * Sketches H_a, H_b, G_b (dense, given), Z_a = WᵀW, Z_b = WWᵀ (through W) with k test vectors, and
     * G_a = Wᵀ Ĝ_b W.
     *
     * @param spectralNorm2 σ_max(W)² (e.g. {@link Spectrum#largestGramEigenvalue}), bounds G_a's error
     */
    public static SketchedLayer of(DMatrixRMaj w, DMatrixRMaj ha, DMatrixRMaj gb, DMatrixRMaj hb,
                                   double spectralNorm2, int k, long seed, LinearAlgebra la) {
        return of(w, ha, gb, PsdSketch.of(hb, k, seed + 4, la), spectralNorm2, k, seed, la);
    }

    /** {@link #of(DMatrixRMaj, DMatrixRMaj, DMatrixRMaj, DMatrixRMaj, double, int, long, LinearAlgebra)} with Ĥ_b at hand. */
    public static SketchedLayer of(DMatrixRMaj w, DMatrixRMaj ha, DMatrixRMaj gb, PsdSketch hb,
                                   double spectralNorm2, int k, long seed, LinearAlgebra la) {
        PsdSketch gbs = PsdSketch.of(gb, k, seed + 1, la);
        PsdSketch[] a = {PsdSketch.of(ha, k, seed + 2, la), gbs.congruence(w, spectralNorm2, la),
            PsdSketch.ofInnerGram(w, k, seed + 3, la)};
        PsdSketch[] b = {hb, gbs, PsdSketch.ofOuterGram(w, k, seed + 5, la)};
        return new SketchedLayer(new PsdSketch[][] {a, b}, la);
    }

    /** The sketch of H, G or Z (index 0, 1, 2) of a side. */
    public PsdSketch sketch(CrhSide side, int matrix) {
        return sides[side.ordinal()][matrix];
    }

    /** Alignments and closed-form baselines on the sketches. */
    public CrhAlignments alignments() {
        double[][] alignment = new double[2][CrhRelation.values().length];
        double[][] baseline = new double[2][CrhRelation.values().length];
        for (CrhSide side : CrhSide.values()) {
            for (CrhRelation r : CrhRelation.values()) {
                PsdSketch[] pair = pair(side, r);
                alignment[side.ordinal()][r.ordinal()] = pearson(pair[0], pair[1]);
                baseline[side.ordinal()][r.ordinal()] = baseline(pair[0], pair[1]);
            }
        }
        return new CrhAlignments(alignment[0], alignment[1], baseline[0], baseline[1]);
    }

    /** The stated bound on |α − α̂| of a relation (see the class comment). */
    public double alignmentBound(CrhSide side, CrhRelation relation) {
        PsdSketch[] pair = pair(side, relation);
        return Math.min(2, ratioBound(pair[0].missedTrace(), centredNorm(pair[0]))
                + ratioBound(pair[1].missedTrace(), centredNorm(pair[1])));
    }

    /** The stated bound on the error of a relation's baseline. */
    public double baselineBound(CrhSide side, CrhRelation relation) {
        PsdSketch[] pair = pair(side, relation);
        PsdSketch y = pair[1];
        double rotated = Math.sqrt(Math.max(RandomOrthogonal.expectedCentredNorm2(y.size(), y.trace(),
                y.frobenius2(), y.frobenius2()), 0));
        return Math.min(2, ratioBound(pair[0].missedTrace(), centredNorm(pair[0])) + ratioBound(y.missedTrace(), rotated));
    }

    /** PAH on a side: log λ(Ĝ) against log of H's quadratic forms in Ĝ's eigenbasis. */
    public PahFit pah(CrhSide side) {
        PsdSketch h = sketch(side, 0);
        PsdSketch g = sketch(side, 1);
        return PolynomialAlignment.fitLogLog(g.values(), g.quadraticForms(h, la));
    }

    /** {fdt.residual on side b, its stated upper bound}. */
    public double[] fdtResidual() {
        PsdSketch h = sketch(CrhSide.B, 0);
        PsdSketch g = sketch(CrhSide.B, 1);
        PsdSketch z = sketch(CrhSide.B, 2);
        double zz = z.frobenius2();
        double[] fit = FluctuationDissipation.fitFromInnerProducts(zz, g.frobenius2(), h.frobenius2(),
                z.inner(g, la), z.inner(h, la), g.inner(h, la));
        double slack = (z.missedTrace() + fit[1] * g.missedTrace() + fit[2] * h.missedTrace()) / Math.sqrt(zz);
        return new double[] {fit[0], fit[0] + slack};
    }

    /**
     * Bound on |ln erank(S) − ln erank(Ŝ)| for the Roy–Vetterli effective rank of eigenvalues: with
     * T = δ / tr S the total-variation distance between the normalized spectra is at most T (since
     * λ_j(Ŝ) ≤ λ_j(S) and Σ(λ_j(S) − λ_j(Ŝ)) = δ), so by the Fannes–Audenaert inequality the entropies differ
     * by at most T ln(d − 1) + h(T), h the binary entropy; +∞ when T &gt; 1 − 1/d.
     *
     * @param trace tr S (exact)
     */
    public static double effectiveRankLogBound(PsdSketch s, double trace) {
        int d = s.size();
        double t = trace > 0 ? s.missedTrace() / trace : 0;
        if (t == 0) {
            return 0;
        }
        if (d < 2 || t > 1 - 1.0 / d) {
            return Double.POSITIVE_INFINITY;
        }
        double h = -t * Math.log(t) - (1 - t) * Math.log1p(-t);
        return t * Math.log(d - 1) + h;
    }

    private PsdSketch[] pair(CrhSide side, CrhRelation relation) {
        PsdSketch[] m = sides[side.ordinal()];
        switch (relation) {
            case RGA:
                return new PsdSketch[] {m[0], m[1]};
            case RWA:
                return new PsdSketch[] {m[0], m[2]};
            default:
                return new PsdSketch[] {m[1], m[2]};
        }
    }

    private double pearson(PsdSketch x, PsdSketch y) {
        double dd = (double) x.size() * x.size();
        double cx = centredNorm(x);
        double cy = centredNorm(y);
        double r = (x.inner(y, la) - x.entrySum() * y.entrySum() / dd) / (cx * cy);
        return Double.isFinite(r) ? Math.max(-1.0, Math.min(1.0, r)) : Double.NaN;
    }

    private static double baseline(PsdSketch a, PsdSketch b) {
        return RandomOrthogonal.expectedBaseline(a.size(), a.trace(), a.entrySum(), a.frobenius2(), b.trace(),
                b.frobenius2(), b.frobenius2());
    }

    private static double centredNorm(PsdSketch x) {
        double s = x.entrySum();
        return Math.sqrt(Math.max(x.frobenius2() - s * s / ((double) x.size() * x.size()), 0));
    }

    /** 2δ/‖x̂‖: how far x/‖x‖ can be from x̂/‖x̂‖ when ‖x − x̂‖ ≤ δ. */
    private static double ratioBound(double delta, double norm) {
        if (delta == 0) {
            return 0;
        }
        return norm > 0 ? 2 * delta / norm : Double.POSITIVE_INFINITY;
    }
}
