package dev.noether.core.runtime;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dsyevd;
import static org.bytedeco.openblas.global.openblas.blas_set_num_threads;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas.cblas_dsyrk;

/**
 * The flop-limit reference of one heavy analysis of a d×d layer as raw LAPACKE/CBLAS calls on one thread,
 * the same list as {@code core/bench/heavy_reference.py}: Z_a = WᵀW, Z_b = WWᵀ, G_a = Wᵀ(G_b W), svdvals(W),
 * eigvalsh(H_b), eigh(G_a), eigh(G_b), and diag(VᵀHV) for both. Benchmark code, not part of core.
 */
final class LapackReference {
    private final int d;
    private final double[] w;
    private final double[] ha;
    private final double[] hb;
    private final double[] gb;

    LapackReference(int d, double[] w, double[] ha, double[] hb, double[] gb) {
        blas_set_num_threads(1);
        this.d = d;
        this.w = w;
        this.ha = ha;
        this.hb = hb;
        this.gb = gb;
    }

    double run() {
        double[] za = new double[d * d];
        double[] zb = new double[d * d];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, d, 1, w, d, 0, za, d);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, d, d, 1, w, d, 0, zb, d);
        double[] gw = gemm(gb, false, w);
        double[] ga = gemm(w, true, gw);
        double[] s = new double[d];
        double[] unused = new double[1];
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'N', d, d, w.clone(), d, s, unused, d, unused, d);
        double[] lambda = new double[d];
        LAPACKE_dsyevd(LAPACK_ROW_MAJOR, (byte) 'N', (byte) 'U', d, hb.clone(), d, lambda);
        double check = s[0] + lambda[0] + za[0] + zb[0];
        for (double[][] side : new double[][][] {{ha, ga}, {hb, gb}}) {
            double[] v = side[1].clone();
            double[] x = new double[d];
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, (byte) 'V', (byte) 'U', d, v, d, x);
            double[] hv = gemm(side[0], false, v);
            double y = 0;
            for (int i = 0; i < d * d; i++) {
                y += v[i] * hv[i];
            }
            check += x[0] + y;
        }
        return check;
    }

    private double[] gemm(double[] a, boolean transposeA, double[] b) {
        double[] c = new double[d * d];
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans, d, d, d, 1, a, d, b, d, 0, c, d);
        return c;
    }
}
